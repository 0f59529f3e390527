// `npm run demo` in its short CI mode, as a child process: it must exit 0 and its summary must
// show every region on 1.1.0's digest, no failed pull in the product's run and some in the naive one.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable, findKubectl } from '../../dev/aks-simulator';
import { describeNotification } from '../../dev/demo-notify';

const ROOT = path.resolve(__dirname, '..', '..');

function runDemo(
  args: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a demo that overruns is stopped with everything it started. Run
    // through node and tsx's own entry, so a PATH without npx (or kubectl) still starts it.
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'dev/demo.ts', ...args],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...env, NO_COLOR: '1' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`the demo did not finish within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('npm run demo -- --short', () => {
  it('when run, then it exits 0 with every region on 1.1.0’s digest, no failed pull of ours and some of the naive strategy', async () => {
    const { code, out } = await runDemo(['--short'], 80_000);
    expect(code, out).toBe(0);

    // Not a terminal: plain timestamped progress lines, one per state change. (1.1.0: whether
    // 1.0.0 finished in westeurope before 1.1.0 superseded it depends on the machine's speed.)
    expect(out).toMatch(/\+\s*\d+\.\d+s\s+westeurope\s+my-app:1\.1\.0\s+.*→ succeeded/);

    const digest = /4\. Summary: my-app:1\.1\.0 = (sha256:[0-9a-f]{64})/.exec(out)?.[1];
    expect(digest, out).toBeDefined();
    const short = digest!.slice(7, 19);
    for (const region of ['eastus', 'westeurope', 'southeastasia']) {
      const row = out.split('\n').find((l) => new RegExp(`^\\s+${region}\\b.*(succeeded|failed)`).test(l));
      expect(row, `summary row of ${region}\n${out}`).toBeDefined();
      expect(row).toContain(`1.1.0 ${short} ✔`);
    }
    const pulls = /failed pulls: ours (\d+), naive (\d+)/.exec(out);
    expect(pulls, out).not.toBeNull();
    expect(Number(pulls![1])).toBe(0);
    expect(Number(pulls![2])).toBeGreaterThan(0);
    expect(out).toContain('result: ok');
    expect(out).toContain('invariants: hold');
    expect(out).toMatch(/southeastasia \(Run Command\): its scripts run with sh \+ the real kubectl/);
    // The demo runs with policy.approvalWaves [1] and approves wave 1 of each release.
    expect(out).toMatch(
      /operator: approved wave 1 of my-app:1\.1\.0 \(POST \/api\/releases\/\d{13}-[0-9a-f]{12}\/approve/,
    );
    expect(out).toMatch(/operator actions: approved .*my-app:1\.1\.0 wave 1/);
    // The operator acts on the request: each approval.required is printed before its approval.
    for (const tag of ['1.0.0', '1.1.0']) {
      const asked = out.search(
        new RegExp(`✉ approval\\.required wave 1: my-app:${tag.replace(/\./g, '\\.')} `),
      );
      const approved = out.indexOf(`operator: approved wave 1 of my-app:${tag} `);
      expect(asked, `approval.required of ${tag}\n${out}`).toBeGreaterThan(0);
      expect(approved, out).toBeGreaterThan(asked);
    }
    // The link is printed while the stack runs; the summary, printed as it stops, links nothing.
    expect(out).toMatch(/Status page: http:\/\/127\.0\.0\.1:\d+\/api\/dashboard/);
    const summary = out.slice(out.indexOf('4. Summary'));
    expect(summary).not.toContain('/api/dashboard');
    expect(summary).toContain('`npm run demo -- --keep` keeps it up');
  }, 90_000);

  it('when PATH has no kubectl, then it says so in one line, runs the Run Command region through the simulator’s own executor and exits 0 with the invariants holding', async () => {
    // The machine of a newcomer after `npm ci`: node (Azurite's bin scripts run `env node`) and
    // openssl (the Kubernetes API simulators' certificates), nothing else; CI has kubectl, so
    // the test builds the PATH.
    const bin = mkdtempSync(path.join(tmpdir(), 'demo-no-kubectl-'));
    try {
      symlinkSync(process.execPath, path.join(bin, 'node'));
      const openssl = findExecutable('openssl');
      expect(openssl, 'openssl on PATH').toBeDefined();
      symlinkSync(openssl!, path.join(bin, 'openssl'));
      expect(findKubectl(bin)).toBeUndefined();
      const { code, out } = await runDemo(['--short'], 80_000, { ...process.env, PATH: bin });
      expect(code, out).toBe(0);
      const notes = out.split('\n').filter((l) => l.startsWith('kubectl: none on PATH'));
      expect(notes, out).toHaveLength(1);
      expect(notes[0]).toContain(
        "southeastasia (Run Command) runs its scripts through the AKS simulator's own executor",
      );
      expect(out).not.toContain('kubectl exited');
      const row = out.split('\n').find((l) => /^\s+southeastasia\b.*succeeded/.test(l));
      expect(row, out).toContain('run-command (no kubectl)');
      const digest = /4\. Summary: my-app:1\.1\.0 = sha256:([0-9a-f]{12})/.exec(out)?.[1];
      expect(row).toContain(`1.1.0 ${digest} ✔`);
      expect(out).toContain('invariants: hold');
      expect(out).toMatch(/failed pulls: ours 0,/);
      expect(out).toContain('result: ok');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 90_000);

  it('when a region-wide hold is notified, then the line says what was done, not "no release applied"', () => {
    const line = describeNotification({
      version: 1,
      event: 'action.performed',
      at: '2026-12-07T10:00:00.000Z',
      region: 'southeastasia',
      action: { name: 'hold', actor: 'local' },
      state: 'applied',
      reason: 'incident 4711',
    });
    expect(line).toBe(
      '✉ action.performed southeastasia: local placed a hold (nothing new starts there until it is lifted): incident 4711',
    );
    expect(
      describeNotification({
        version: 1,
        event: 'action.performed',
        at: '2026-12-07T10:05:00.000Z',
        region: 'southeastasia',
        action: { name: 'unhold', actor: 'local' },
        state: 'applied',
      }),
    ).toBe('✉ action.performed southeastasia: local lifted the hold');
  });

  it('when asked for help, then it lists every option', async () => {
    const { code, out } = await runDemo(['--help'], 30_000);
    expect(code).toBe(0);
    for (const option of ['--regions', '--delays', '--speed', '--keep', '--port', '--short'])
      expect(out).toContain(option);
  });

  it('when an option is wrong, then it exits 2 naming it', async () => {
    const { code, out } = await runDemo(['--speed', 'fast', '--delays', 'mars=1'], 30_000);
    expect(code).toBe(2);
    expect(out).toContain('--speed');
    expect(out).toContain('mars');
  });
});
