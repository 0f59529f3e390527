// `npm run dev:stack` as the process a developer runs: a busy or malformed port names the variable
// to change; once up it prints the webhook secret and the commands in the order that works, and
// those commands, run as printed, roll releases out with the invariants holding.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/azurite';
import { devStackOptions, instructions } from '../../dev/stack-main';
import { STACK_SECRET, startStack, type Stack } from '../../dev/stack';
import { invariantProblems } from '../../dev/stack-invariants';
import { expectInvariants } from '../support/invariants';
import { releaseOf, until } from '../status/support';

const WORKLOAD = 'default/Deployment/my-app/my-app';

const ROOT = path.resolve(__dirname, '..', '..');
const children: ChildProcess[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function stackMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/stack-main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('npm run dev:stack', () => {
  it('when a port is busy or malformed, then it exits 1 naming each variable to change', async () => {
    const busy = await freePort();
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(busy, '127.0.0.1', resolve));
    servers.push(srv);
    const run = stackMain({ PORT: 'http', ACR_PORT: String(busy), AKS_PORT: '0', AZURITE_PORT: '0' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('PORT="http": must be a port number from 0 to 65535');
    expect(run.output()).toContain(
      `ACR_PORT=${busy}: the port is in use (wanted for the simulated ACR); set ACR_PORT to a free port`,
    );
  }, 60_000);

  it('when it runs, then it prints the secret and the commands in the order that works, and no `open`', async () => {
    const run = stackMain({ PORT: '0', ACR_PORT: '0', AKS_PORT: '0', AZURITE_PORT: '0' });
    const deadline = Date.now() + 45_000;
    while (!run.output().includes('(what the simulated clusters run)')) {
      if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(run.output());
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = run.output();
    expect(out).toContain(`webhook secret  ${STACK_SECRET}`);
    expect(out).not.toMatch(/^\s*open /m);
    // The push into the registry comes before the webhook that needs it.
    expect(out.indexOf('DIGEST=$(curl')).toBeGreaterThan(0);
    expect(out.indexOf('DIGEST=$(curl')).toBeLessThan(out.indexOf('/api/acr/events/eastus'));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 90_000);
});

describe('npm run dev:stack: the banner’s commands, run as printed', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The stack dev:stack runs, with shorter replication delays and timer period for the test.
    stack = await startStack(
      devStackOptions(
        { PORT: 0, ACR_PORT: 0, AKS_PORT: 0, AZURITE_PORT: 0 },
        {
          delays: { westeurope: 300, southeastasia: 800 },
          reconcileEverySeconds: 1,
          logRequests: false,
          log: () => undefined,
        },
      ),
    );
  }, 90_000);
  afterAll(async () => stack?.stop());

  const bash = (script: string) => promisify(execFile)('bash', ['-c', script], { timeout: 20_000 });

  async function doneEverywhere(digest: string) {
    return until(
      `${digest.slice(7, 19)} to succeed in every region`,
      async () => {
        const rel = await releaseOf(stack, digest);
        return rel && rel.status === 'done' && rel.rollouts.every((r) => r.state === 'succeeded')
          ? rel
          : undefined;
      },
      60_000,
    );
  }

  it('when the push is pasted, and then the by-hand pair twice, then each rolls a new release out everywhere and the invariants hold', async () => {
    const banner = instructions(stack);
    const lines = banner.split('\n').map((l) => l.trim());
    const push = lines.find((l) => l.startsWith('curl -s -X POST') && l.includes('/_control/push'));
    const pairStart = lines.findIndex((l) => l.startsWith('DIGEST=$(curl'));
    expect(push, banner).toBeDefined();
    expect(lines[pairStart + 1], banner).toMatch(/^curl -s -X POST .*\/api\/acr\/events\/eastus /);
    const pair = `${lines[pairStart]}\n${lines[pairStart + 1]}`;

    // 1. The push alone: the simulated ACR sends its webhooks.
    const pushed = JSON.parse((await bash(push!)).stdout) as { digest: string };
    await doneEverywhere(pushed.digest);
    await expectInvariants(stack, { [WORKLOAD]: pushed.digest });

    // 2. By hand, twice: each paste is a new push (a fresh digest, event id and time), not a duplicate.
    let previous = pushed.digest;
    for (let paste = 1; paste <= 2; paste++) {
      const answer = JSON.parse((await bash(pair)).stdout) as { status: string; releases: string[] };
      expect(answer.status, JSON.stringify(answer)).toBe('recorded');
      expect(answer.releases).toHaveLength(1);
      const detail = await stack.api<{ digest: string }>(`/api/releases/${answer.releases[0]!}`);
      expect(detail.digest).not.toBe(previous);
      await doneEverywhere(detail.digest);
      await expectInvariants(stack, { [WORKLOAD]: detail.digest });
      // The check reads the clusters: the release before is no longer what runs anywhere.
      expect(await invariantProblems(stack, { [WORKLOAD]: previous })).toHaveLength(3);
      previous = detail.digest;
    }
    // The held-back push sent no webhook of its own: only the first push's three deliveries exist.
    const deliveries = (await (await fetch(`${stack.acr.url}/_control/deliveries`)).json()) as unknown[];
    expect(deliveries).toHaveLength(3);
  }, 120_000);
});
