// Runs a Run Command script the way the command pod does: the real `sh` and the real kubectl
// (the first one on PATH), against the Kubernetes API simulator of the cluster's region, so the
// Run Command path and the Kubernetes API path act on one cluster state. Only scripts of the
// builder's shape are run (the product's tokenizer checks first); stdout and stderr go to one
// log, interleaved as the command pod's log would be.
import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScriptSyntaxError, tokenizeScript } from '../../src/adapters/clusters/script-syntax';
import type { ScriptOutcome } from './commands';

/** How the command pod reaches the cluster's API server (a kubeconfig's server, CA and token). */
export interface KubernetesApiAccess {
  url: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
  token: string;
}

/** The program a shell would run for `name`: the first executable file of that name on PATH. */
export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue; // a relative PATH entry depends on the cwd: never trusted
    const candidate = path.join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there or not executable: the next directory
    }
  }
  return undefined;
}

export const findKubectl = (searchPath?: string) => findExecutable('kubectl', searchPath);

export class KubectlRunner {
  private readonly dir: string;
  private readonly kubeconfig: string;
  private runs = 0;

  /** `kubectl`: the executable to run (default: the one on PATH); undefined runs fail as sh would. */
  constructor(
    access: KubernetesApiAccess,
    private readonly kubectl: string | undefined = findKubectl(),
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'aks-sim-kubectl-'));
    const ca = path.join(this.dir, 'ca.pem');
    writeFileSync(ca, access.ca);
    this.kubeconfig = path.join(this.dir, 'kubeconfig');
    writeFileSync(
      this.kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: ${JSON.stringify(access.url)}, certificate-authority: ${JSON.stringify(ca)}}}]`,
        `users: [{name: u, user: {token: ${JSON.stringify(access.token)}}}]`,
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'current-context: c',
      ].join('\n'),
      { mode: 0o600 },
    );
  }

  async run(script: string, signal: AbortSignal): Promise<ScriptOutcome> {
    try {
      tokenizeScript(script);
    } catch (e) {
      const line = e instanceof ScriptSyntaxError ? e.line : 0;
      return { exitCode: 2, logs: `sh: ${line}: Syntax error: ${(e as Error).message}\n` };
    }
    // What the command pod's sh says when its image has no kubectl.
    const kubectl = this.kubectl;
    if (!kubectl) return { exitCode: 127, logs: 'sh: 1: kubectl: not found\n' };
    const logFile = path.join(this.dir, `run-${++this.runs}.log`);
    const fd = openSync(logFile, 'w');
    try {
      const exitCode = await new Promise<number>((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', script], {
          stdio: ['ignore', fd, fd],
          env: {
            PATH: `${path.dirname(kubectl)}:/bin`,
            KUBECONFIG: this.kubeconfig,
            HOME: this.dir,
          },
          signal,
        });
        child.once('error', reject);
        child.once('close', (code) => resolve(code ?? 1));
      });
      return { exitCode, logs: readFileSync(logFile, 'utf8') };
    } finally {
      closeSync(fd);
      rmSync(logFile, { force: true });
    }
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
