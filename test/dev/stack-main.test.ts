// `npm run dev:stack` as the process a developer runs: a busy or malformed port names the variable
// to change; once up it prints the webhook secret and curl commands that work when pasted.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/azurite';
import { SAMPLE_DIGEST } from '../../dev/stack-main';
import { STACK_SECRET } from '../../dev/stack';

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

  it('when it runs, then it prints the secret and curl commands that work as pasted, and no `open`', async () => {
    const run = stackMain({ PORT: '0', ACR_PORT: '0', AKS_PORT: '0', AZURITE_PORT: '0' });
    const deadline = Date.now() + 45_000;
    while (!run.output().includes('(what the simulated clusters run)')) {
      if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(run.output());
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = run.output();
    expect(out).toContain(`webhook secret  ${STACK_SECRET}`);
    expect(out).not.toMatch(/^\s*open /m);
    const curls = out.split('\n').filter((l) => l.trim().startsWith('curl -s -X POST'));
    expect(curls).toHaveLength(2);
    const sh = (line: string) => promisify(execFile)('bash', ['-c', `${line.trim()} -w '\\n%{http_code}'`]);
    const pushed = await sh(curls[0]!);
    expect(pushed.stdout.trim().split('\n').at(-1)).toBe('201');
    expect(pushed.stdout).toContain(SAMPLE_DIGEST);
    const delivered = await sh(curls[1]!);
    const [body, code] = delivered.stdout.trim().split('\n');
    expect(code).toBe('202');
    expect(JSON.parse(body!)).toMatchObject({ releases: [expect.stringMatching(/^\d{13}-[0-9a-f]{12}$/)] });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 90_000);
});
