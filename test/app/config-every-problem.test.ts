// `npm run check-config` on settings with one problem of every kind: each is named in the same
// run, with the setting's path and in words a person understands (no zod wording), the timer's
// schedule is read as the Functions host reads NCRONTAB, and a wrong command line is a usage error.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ncrontabProblem } from '../../src/app/config/ncrontab';
import { testRolloutConfig } from '../support/config';

const ROOT = path.resolve(__dirname, '..', '..');

function checkConfig(args: string[], env: Record<string, string> = {}) {
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

/** ROLLOUT_CONFIG with a type error, a bad name, an unknown key and every cross-field problem. */
function brokenRollout(): Record<string, unknown> {
  const rollout = testRolloutConfig({
    home: 'northeurope', // not among the regions
    regions: ['eastus', 'westeurope', 'westeurope'], // listed twice
    policy: { maxAttempts: 'three', approvalWaves: [9], bakeSecs: 5 }, // type, unknown wave, unknown key
    workloads: [
      { repository: 'my-app', namespace: 'default', name: 'my-app', container: 'my-app', regions: ['mars'] },
      { repository: 'my-app', namespace: 'default', name: 'my-app', container: 'my-app', kind: 'Pod' },
      { repository: 'other', namespace: 'default', name: 'my-app', container: 'my-app' }, // a twin of [0]
    ],
  });
  (rollout.regions as Array<Record<string, unknown>>)[1]!.access = 'ssh';
  return rollout;
}

const SECRET = 'has a space in it 0123456789';

describe('npm run check-config: every problem in one run', () => {
  it('when settings hold one problem of every kind, then one run names each with its path, in sentences', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'check-config-'));
    try {
      const file = path.join(dir, 'broken.settings.json');
      writeFileSync(
        file,
        JSON.stringify({
          Values: {
            ROLLOUT_CONFIG: JSON.stringify(brokenRollout()),
            WEBHOOK_SECRETS: SECRET,
            ROLLOUT_STORAGE: 'UseDevelopmentStorage=true',
            ARM_ENDPOINT: 'http://management.example.com', // plain http, not loopback
            WEBHOOK_NUDGE_BUDGET_MS: 'soon', // not a number
            RECONCILE_CONCURRENCY: '0', // out of range
            RECONCILE_SCHEDULE: 'every 30s', // not NCRONTAB
            DRY_RUN: 'maybe', // not a choice
          },
        }),
      );
      const out = await checkConfig(['--file', file]);
      expect(out.code, out.stderr).toBe(1);
      const lines = out.stderr.trim().split('\n');
      const problems = lines.slice(1).map((l) => l.replace(/^ {2}- /, ''));
      expect(lines[0]).toBe(`check-config: ${file} (Values) + the environment: ${problems.length} problems:`);
      const expected: RegExp[] = [
        /^WEBHOOK_SECRETS: each secret must be printable ASCII without whitespace or control characters$/,
        /^ARM_ENDPOINT: plain http:\/\/ is accepted only for loopback addresses/,
        /^DRY_RUN: must be true or false \(1\/0 and yes\/no are read too\)$/,
        /^WEBHOOK_NUDGE_BUDGET_MS: must be a number$/,
        /^RECONCILE_CONCURRENCY: must be at least 1 \(it is 0\)$/,
        /^RECONCILE_SCHEDULE: "every 30s" is not an NCRONTAB schedule: it needs six fields .* it has 2$/,
        /^ROLLOUT_CONFIG\.regions\[1\]\.access: must be one of "kubernetes-api", "run-command", not "ssh"$/,
        /^ROLLOUT_CONFIG\.workloads\[1\]\.kind: must be one of "Deployment", "StatefulSet", "DaemonSet", not "Pod"$/,
        /^ROLLOUT_CONFIG\.policy\.maxAttempts: must be a number, not text$/,
        /^ROLLOUT_CONFIG\.policy: has no setting "bakeSecs" .*; it takes .*bakeSeconds/,
        /^ROLLOUT_CONFIG\.regions\[2\]\.name: region westeurope is listed twice$/,
        /^ROLLOUT_CONFIG\.registry\.homeRegion: northeurope is not in regions\[\] \(regions\[\] has eastus, westeurope, westeurope\)/,
        /^ROLLOUT_CONFIG\.workloads\[0\]\.regions\[0\]: region mars is not in regions\[\]/,
        /^ROLLOUT_CONFIG\.workloads\[2\]: workload default\/Deployment\/my-app\/my-app is listed twice \(also workloads\[0\]\)$/,
        /^ROLLOUT_CONFIG\.policy\.approvalWaves\[0\]: no region is in wave 9, .*the waves are 1 \(eastus, westeurope, westeurope\)$/,
      ];
      for (const e of expected)
        expect(
          problems.filter((p) => e.test(p)),
          `${e}\n${out.stderr}`,
        ).toHaveLength(1);
      expect(problems).toHaveLength(expected.length);
      // Sentences, not zod's wording; and never the secret.
      expect(out.stderr).not.toMatch(/Invalid input|expected \w+, received|Too small|Unrecognized key/);
      expect(out.stderr).not.toContain(SECRET);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('when the command line has an unknown option, then it prints a usage error, no stack trace, and exits 2', async () => {
    const out = await checkConfig(['--bogus']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^check-config: Unknown option '--bogus'\n\nusage: npm run check-config/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    const help = await checkConfig(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--env');
    expect(help.stdout).toContain('--file <path>');
  }, 30_000);
});

describe('RECONCILE_SCHEDULE as the Functions host reads NCRONTAB', () => {
  it.each([
    '*/30 * * * * *',
    '0 */5 * * * *',
    '0 30 9 * Jan Mon',
    '0 0 9-17 * * 1-5',
    '0 0 0 * * Monday',
    '5/15 * * * * *',
    '0 0 0 13 * Fri',
  ])('when it is %j, then it is accepted', (schedule) => {
    expect(ncrontabProblem(schedule)).toBeUndefined();
  });

  it.each([
    ['every 30s', /it has 2$/],
    ['* * * * *', /it has 5 \(a five-field crontab has no seconds/],
    ['0 0 0 * * * 2030', /it has 7$/],
    ['@hourly', /it has 1$/],
    ['60 * * * * *', /second field "60": 60 is out of range \(the second goes from 0 to 59\)/],
    ['0 0 0 * 13 *', /month field "13": 13 is out of range/],
    ['0 0 0 * * 7', /day-of-week field "7": 7 is out of range \(the day-of-week goes from 0 to 6\)/],
    ['0 0 0 ? * *', /day field "\?": .*not L, W, # or \?/],
    ['0 0 0 L * *', /day field "L": "L" is not a number from 1 to 31/],
    ['0 0 0 * * 5#2', /day-of-week field "5#2": .*not NCRONTAB syntax/],
    ['*/0 * * * * *', /a step of 0/],
    ['0 0 0 * * Funday', /"Funday" is not a day-of-week/],
    ['0 0 0 31 2 *', /never fires/],
  ])('when it is %j, then it is refused saying why', (schedule, why) => {
    expect(ncrontabProblem(schedule)).toMatch(why);
  });
});
