// `npm run package:app [-- --out <dir>]`: builds the artifact azd deploys to the Function App (the
// azure.yaml prepackage hook runs it into .deploy/api, azd zips that folder), and the packaging
// test builds the same into a temporary folder. It holds only what runs:
//   dist/src/**            src/ compiled (tsconfig.build.json; no source maps, no declarations),
//                          with the status page's bundled script (dev/build-page.ts)
//   host.json, package.json, package-lock.json
//   node_modules/**        the production dependency tree of package-lock.json (no entry marked
//                          "dev"), copied from the installed node_modules: the same packages
//                          `npm ci --omit=dev` would install, without a second install or the network,
//                          less the files nothing runs (source maps, .d.ts, .ts sources, Markdown)
// Why not a remote build: the artifact is then built and tested here, and deploying needs no build
// service on the Flex Consumption side. The script is named package:app, not package: azd runs a
// `package` script by itself in some versions, which would build the artifact twice.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePageScript } from './build-page';

const ROOT = path.resolve(__dirname, '..');

export interface PackageResult {
  dir: string;
  files: number;
  bytes: number;
  /** Production packages copied (package-lock paths). */
  packages: string[];
}

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** The package-lock entries (`node_modules/...`) of the production dependency tree. */
export function productionPackages(lockText: string): Array<[string, LockPackage]> {
  const lock = JSON.parse(lockText) as { lockfileVersion?: number; packages?: Record<string, LockPackage> };
  if (!lock.packages)
    throw new Error('package-lock.json has no "packages" (lockfileVersion 2 or later is needed)');
  return Object.entries(lock.packages)
    .filter(([p, meta]) => p.startsWith('node_modules/') && !meta.dev && !meta.devOptional)
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Files of a package that nothing runs: source maps, type declarations, TypeScript sources and
 * Markdown (Node runs none of them; the licence files stay).
 */
export const NOT_RUN = /\.(?:map|d\.[cm]?ts|[cm]?ts|md|markdown)$/i;

/** Copy a package's own files (its nested node_modules are separate lock entries, or dev ones). */
function copyPackage(from: string, to: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      const r = copyPackage(src, dst);
      files += r.files;
      bytes += r.bytes;
    } else if (e.isFile()) {
      if (NOT_RUN.test(e.name)) continue;
      fs.copyFileSync(src, dst);
      files += 1;
      bytes += fs.statSync(dst).size;
    } else if (e.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(src), dst);
    }
  }
  return { files, bytes };
}

function sizeOf(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const r = sizeOf(p);
      files += r.files;
      bytes += r.bytes;
    } else if (e.isFile()) {
      files += 1;
      bytes += fs.statSync(p).size;
    }
  }
  return { files, bytes };
}

export function packageApp(out: string, root = ROOT): PackageResult {
  const dir = path.resolve(out);
  if (dir === path.resolve(root) || !dir.startsWith(path.sep))
    throw new Error(`refusing to package into ${dir}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });

  // The build itself, straight into the artifact (nothing else from dist/ leaks in).
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  execFileSync(
    process.execPath,
    [
      tsc,
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--outDir',
      path.join(dir, 'dist'),
      '--sourceMap',
      'false',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  writePageScript(path.join(dir, 'dist'));
  for (const f of ['host.json', 'package.json', 'package-lock.json'])
    fs.copyFileSync(path.join(root, f), path.join(dir, f));

  const packages = productionPackages(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const missing: string[] = [];
  for (const [p, meta] of packages) {
    const from = path.join(root, p);
    if (!fs.existsSync(from)) {
      // An optional dependency for another platform is legitimately absent.
      if (!meta.optional) missing.push(p);
      continue;
    }
    copyPackage(from, path.join(dir, p));
  }
  if (missing.length > 0)
    throw new Error(`production dependencies missing from node_modules (run npm ci): ${missing.join(', ')}`);
  const { files, bytes } = sizeOf(dir);
  return { dir, files, bytes, packages: packages.map(([p]) => p) };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out =
    at >= 0 && args[at + 1] ? args[at + 1]! : fs.mkdtempSync(path.join(os.tmpdir(), 'acr-geo-rollout-app-'));
  try {
    const r = packageApp(path.isAbsolute(out) ? out : path.join(ROOT, out));
    console.log(
      `package:app: ${r.dir}: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.packages.length} production packages`,
    );
  } catch (err) {
    console.error(`package:app: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
