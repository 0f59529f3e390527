// The artifact azd deploys (azure.yaml's prepackage hook runs `npm run package:app`), built here
// the same way into a temporary folder: only what runs (the compiled src/, host.json, the package
// files and the production dependency tree of package-lock.json), no dev dependency, under the
// stated size, and complete: the Functions entry loads from it alone, telemetry included.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_RUN, packageApp, productionPackages, type PackageResult } from '../../dev/package-app';
import { ROOT } from './arm';

/** Measured: 54.1 MB (14,631 files) on 2026-12-07; the full dev install under the old .funcignore was 238.4 MB. */
const MAX_BYTES = 80 * 1024 * 1024;
const DEV_ONLY = [
  'azurite',
  'vitest',
  'playwright-core',
  'eslint',
  'typescript',
  'tsx',
  'prettier',
  'fast-check',
  'typescript-eslint',
  'esbuild',
];

let out: string;
let result: PackageResult;

function walk(dir: string, rel = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), `${rel}${e.name}/`) : [`${rel}${e.name}`],
  );
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'package-app-test-'));
  result = packageApp(join(out, 'api'));
}, 180_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the deployed artifact (npm run package:app)', () => {
  const lock = readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
  const packages = JSON.parse(lock) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };

  it('when built, then its top level is the compiled app, host.json and the package files, nothing else', () => {
    expect(readdirSync(result.dir).sort()).toEqual([
      'dist',
      'host.json',
      'node_modules',
      'package-lock.json',
      'package.json',
    ]);
    expect(readdirSync(join(result.dir, 'dist'))).toEqual(['src']);
    const main = (JSON.parse(readFileSync(join(result.dir, 'package.json'), 'utf8')) as { main: string })
      .main;
    expect(existsSync(join(result.dir, main)), main).toBe(true);
  });

  it("when built, then it holds no dev dependency (none of the lock file's dev entries, nor the usual suspects)", () => {
    for (const name of DEV_ONLY) {
      expect(packages.packages[`node_modules/${name}`]?.dev, `${name} is a dev dependency in the lock`).toBe(
        true,
      );
      expect(existsSync(join(result.dir, 'node_modules', name)), name).toBe(false);
    }
    const dev = Object.entries(packages.packages).filter(([p, m]) => p.startsWith('node_modules/') && m.dev);
    expect(dev.length).toBeGreaterThan(100);
    for (const [p] of dev) expect(existsSync(join(result.dir, p)), p).toBe(false);
  });

  it('when built, then every production package of the lock file is there, and no file nothing runs', () => {
    for (const [p, meta] of productionPackages(lock))
      if (!meta.optional) expect(existsSync(join(result.dir, p, 'package.json')), p).toBe(true);
    expect(result.packages.length).toBe(productionPackages(lock).length);
    const files = walk(result.dir);
    expect(files.length).toBe(result.files);
    expect(files.filter((f) => NOT_RUN.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/src/'))).toEqual([]);
  });

  it('when built, then it stays under 80 MB (measured 54 MB; the full dev install was 238 MB)', () => {
    const bytes = walk(result.dir).reduce((n, f) => n + statSync(join(result.dir, f)).size, 0);
    expect(bytes).toBe(result.bytes);
    console.log(`package:app: ${result.files} files, ${(result.bytes / 1e6).toFixed(1)} MB`);
    expect(result.bytes).toBeLessThan(MAX_BYTES);
  });

  it('when the artifact serves the status page, then its one inline script is the bundled client, read without a bundler', () => {
    const script =
      "require('./dist/src/functions/status/dashboard.js').dashboard().then((r) => process.stdout.write(r.body));";
    const body = execFileSync(process.execPath, ['-e', script], {
      cwd: result.dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 60_000,
    });
    const bundle = readFileSync(join(result.dir, 'dist/src/functions/status/client.bundle.js'), 'utf8');
    expect(bundle).toContain('releases-body');
    expect(body).toMatch(/<script nonce="[A-Za-z0-9+/=]+">/);
    expect(body).toContain(bundle);
  });

  it('when the Functions entry is loaded from the artifact alone, with telemetry and the identity configured, then every module resolves', () => {
    const script =
      "require('./' + require('./package.json').main); const t = require('./dist/src/functions/telemetry-start.js').telemetry;" +
      " console.log('loaded', t.started); void t.shutdown().then(() => process.exit(0));";
    const output = execFileSync(process.execPath, ['-e', script], {
      cwd: result.dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        // No ingestion happens: the exporter only needs to be built (its first export is a minute away).
        APPLICATIONINSIGHTS_CONNECTION_STRING:
          'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/',
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING:
          'ClientId=11111111-1111-1111-1111-111111111111;Authorization=AAD',
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
        APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    expect(output).toContain('"event":"telemetry.started"');
    expect(output).toContain('loaded true');
  });
});
