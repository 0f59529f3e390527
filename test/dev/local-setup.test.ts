// The local setup explains itself: the local host refuses an invalid configuration naming every
// problem (counted without its hint, which names the settings file it read), `npm run dev --
// --help` only prints its usage, it says which storage it uses (starting its own Azurite for UseDevelopmentStorage=true),
// names the variable to change for a busy port; `npm run check-config` exits 1 or 0 with a summary.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { azuriteConnectionString, freePort, isListening } from '../../dev/azurite';
import { onSchedule, startLocalHost, type LocalHost } from '../../dev/local-host';
import { fixHint, localSettings } from '../../dev/local-settings';
import { LocalSetupError } from '../../dev/local-storage';
import { digestOf, newEventId, pushPayload } from '../support/acr-payloads';
import { bearer, countStored, setupIntakeEnv } from '../support/intake-env';

const ROOT = path.resolve(__dirname, '..', '..');
let host: LocalHost | undefined;
const servers: net.Server[] = [];
afterEach(async () => {
  await host?.stop();
  host = undefined;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function occupy(): Promise<number> {
  const port = await freePort();
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
  servers.push(srv);
  return port;
}

const quiet = { port: 0, timers: false, logRequests: false } as const;

describe('local host start-up', () => {
  it('when the configuration is invalid, then it refuses to start naming every problem', async () => {
    const env = setupIntakeEnv();
    const settings = { ...env.settings, WEBHOOK_SECRETS: 'short', RECONCILE_CONCURRENCY: '0' };
    const started = startLocalHost({ ...quiet, settings, log: () => undefined });
    await expect(started).rejects.toThrow(/WEBHOOK_SECRETS: each secret must be at least 16 characters/);
    await expect(started).rejects.toThrow(/RECONCILE_CONCURRENCY: /);
    await expect(started).rejects.toThrow(/npm run check-config/);
  });

  it('when the configuration is invalid, then it counts the problems only and names the settings file it read', async () => {
    const env = setupIntakeEnv();
    const settings = { ...env.settings, WEBHOOK_SECRETS: 'short', RECONCILE_SCHEDULE: 'every 30s' };
    const err = await startLocalHost({
      ...quiet,
      settings,
      settingsFile: 'local.settings.sample.json',
      log: () => undefined,
    }).catch((e: unknown) => e as LocalSetupError);
    expect(err).toBeInstanceOf(LocalSetupError);
    const e = err as LocalSetupError;
    expect(e.problems).toHaveLength(2);
    expect(e.message.split('\n')[0]).toBe('2 problems:');
    expect(e.message).toMatch(/RECONCILE_SCHEDULE: "every 30s" is not an NCRONTAB schedule/);
    expect(e.hint).toBe(
      'fix local.settings.sample.json (Values) or the environment (there is no local.settings.json, so the sample was read: copy it to local.settings.json and edit that); `npm run check-config` checks them',
    );
  });

  it('when no local.settings.json exists, then the sample is what is read and named', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'local-settings-'));
    try {
      writeFileSync(
        path.join(root, 'local.settings.sample.json'),
        JSON.stringify({ Values: { A: '1', B: '2' } }),
      );
      const read = localSettings({}, { B: 'env' }, root);
      expect(read).toEqual({
        source: 'local.settings.sample.json (Values) + the environment',
        file: 'local.settings.sample.json',
        settings: { A: '1', B: 'env' },
      });
      writeFileSync(path.join(root, 'local.settings.json'), JSON.stringify({ Values: { A: 'mine' } }));
      expect(localSettings({}, {}, root).file).toBe('local.settings.json');
      expect(fixHint({ file: 'local.settings.json' })).toBe(
        'fix local.settings.json (Values) or the environment; `npm run check-config` checks them',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('when `npm run dev -- --help` is run, then it prints its usage and exits without starting the host', async () => {
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'dev/local-host.ts', '--help'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.once('exit', (code) => resolve({ code, stdout }));
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^usage: npm run dev \[-- --help\]/);
    expect(out.stdout).not.toContain('local-host: serving');
    expect(out.stdout).not.toContain('Azurite on');
  }, 30_000);

  it('when ROLLOUT_STORAGE=UseDevelopmentStorage=true, then it starts its own Azurite on a free port, says so, and stores there', async () => {
    const env = setupIntakeEnv();
    const logs: string[] = [];
    host = await startLocalHost({
      ...quiet,
      settings: { ...env.settings, ROLLOUT_STORAGE: 'UseDevelopmentStorage=true' },
      log: (_, m) => logs.push(m),
    });
    const line = logs.find((l) => l.includes('started an in-memory Azurite'));
    expect(line).toMatch(/UseDevelopmentStorage=true: started an in-memory Azurite on 127\.0\.0\.1:\d+/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line!)![1]);
    const res = await fetch(`${host.url}/api/acr/events/eastus`, {
      method: 'POST',
      headers: { authorization: bearer(), 'content-type': 'application/json' },
      body: JSON.stringify(
        pushPayload({
          repository: 'my-app',
          tag: '1.0.0',
          digest: digestOf('own azurite'),
          id: newEventId(),
          timestamp: '2026-05-01T09:00:00.0000000Z',
        }),
      ),
    });
    expect(res.status).toBe(202);
    expect((await countStored(azuriteConnectionString(port), env.prefix)).deliveries).toBe(1);
    expect((await env.storedCounts()).total).toBe(0); // not the shared Azurite of the settings
    await host.stop();
    host = undefined;
    expect(await isListening(port)).toBe(false);
  });

  it('when AZURITE_PORT is busy, then it refuses naming AZURITE_PORT', async () => {
    const env = setupIntakeEnv();
    const busy = await occupy();
    const settings = {
      ...env.settings,
      ROLLOUT_STORAGE: 'UseDevelopmentStorage=true',
      AZURITE_PORT: String(busy),
    };
    await expect(startLocalHost({ ...quiet, settings, log: () => undefined })).rejects.toThrow(
      `AZURITE_PORT=${busy}: the port is in use; set AZURITE_PORT to a free port`,
    );
  });

  it('when ROLLOUT_STORAGE names a loopback Azurite nobody runs, then it refuses saying so', async () => {
    const env = setupIntakeEnv();
    const closed = await freePort();
    const settings = { ...env.settings, ROLLOUT_STORAGE: azuriteConnectionString(closed) };
    await expect(startLocalHost({ ...quiet, settings, log: () => undefined })).rejects.toThrow(
      `ROLLOUT_STORAGE: nothing listens at http://127.0.0.1:${closed}/devstoreaccount1`,
    );
  });

  it('when the port is busy, then it refuses naming PORT', async () => {
    const env = setupIntakeEnv();
    const busy = await occupy();
    await expect(
      startLocalHost({ ...quiet, port: busy, settings: env.settings, log: () => undefined }),
    ).rejects.toThrow(`PORT=${busy}: the port is in use; set PORT to a free port`);
  });
});

describe('the local host timer', () => {
  it('when the schedule is any NCRONTAB expression, then it runs at each of its times (UTC), not on a fixed interval', () => {
    vi.useFakeTimers({ now: new Date('2026-12-07T09:29:58.500Z') });
    try {
      const runs: string[] = [];
      const stop = onSchedule('0,30 30 9 * * Mon', () => runs.push(new Date().toISOString()));
      vi.advanceTimersByTime(40_000);
      stop();
      vi.advanceTimersByTime(7 * 86_400_000);
      expect(runs).toEqual(['2026-12-07T09:30:00.000Z', '2026-12-07T09:30:30.000Z']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('npm run check-config', () => {
  function run(args: string[], env: Record<string, string>) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'dev/check-config.ts', ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('when the environment is invalid, then it exits 1 naming every problem and never the secret', async () => {
    const env = setupIntakeEnv();
    const out = await run(['--env'], {
      ...env.settings,
      WEBHOOK_SECRETS: 'has a space in it 0123456789',
      RECONCILE_CONCURRENCY: '0',
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('check-config: the environment: 2 problems:');
    expect(out.stderr).toContain('  - WEBHOOK_SECRETS: each secret must be printable ASCII');
    expect(out.stderr).toContain('  - RECONCILE_CONCURRENCY: ');
    expect(out.stderr).not.toContain('has a space');
  }, 30_000);

  it('when the environment is valid, then it exits 0 with a one-line summary', async () => {
    const env = setupIntakeEnv();
    const out = await run(['--env'], env.settings);
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^check-config: the environment: OK: 3 region\(s\) .*2 webhook secret\(s\)/),
    ]);
  }, 30_000);

  it('when run on the sample settings, then they are valid', async () => {
    const out = await run(['--file', 'local.settings.sample.json'], {});
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('local.settings.sample.json (Values) + the environment: OK');
  }, 30_000);
});
