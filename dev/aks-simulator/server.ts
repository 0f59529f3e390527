// A loopback server that plays ARM for AKS: managedClusters GET, the runCommand long-running
// operation (202 + location at itself) and commandResults (202 while running, then 200 in the
// documented shape). It checks the bearer token, executes the scripts it receives on simulated
// clusters, and exposes its state and fault switches on /_control for tests and the demo.
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SimCluster,
  type PullRecord,
  type ReplicaHolds,
  type RolloutTimings,
  type SimClusterConfig,
  type SimWorkloadState,
} from './cluster';
import { executeScript, type ScriptOutcome } from './commands';
import { KubectlRunner } from './kubectl-runner';
import { FaultBook, validateFaultRule, type FaultRule } from './faults';
import { managedClusterBody, userKubeconfig } from './cluster-body';

export interface AksSimulatorOptions {
  /** 0 or undefined: any free port. Always 127.0.0.1. */
  port?: number;
  /** The bearer token ARM requests must carry. */
  token: string;
  /** The clusterToken managed-Entra clusters expect (default: the bearer token). */
  clusterToken?: string;
  clusters: SimClusterConfig[];
  /** The replica view; without it every pull succeeds unless acrControlUrl is given. */
  replicaHolds?: ReplicaHolds;
  /** Another process's ACR simulator: GET <url>/_control/holds?region=&repository=&digest= -> {holds}. */
  acrControlUrl?: string;
  seed?: number;
  rolloutMs?: number;
  pullFailureDelayMs?: number;
  /** Delay before a command pod starts the script (slow commands). */
  commandStartDelayMs?: number;
  /** Retry-After sent with a 202 from commandResults. */
  resultRetryAfterSeconds?: number;
}

export interface SimTunables extends RolloutTimings {
  commandStartDelayMs: number;
  resultRetryAfterSeconds: number;
}

export interface SimRequestRecord {
  time: string;
  method: string;
  path: string;
  apiVersion: string | null;
  operation: 'get' | 'runCommand' | 'commandResults' | 'listClusterUserCredential' | 'other';
  status: number;
  authorized: boolean;
  body?: unknown;
}

export interface SimRunCommandRecord {
  commandId: string;
  cluster: string;
  resourceId: string;
  region: string;
  time: string;
  script: string;
  clusterToken: string;
  context: string;
}

interface SimCommand {
  id: string;
  cluster: SimCluster;
  apiVersion: string;
  state: 'running' | 'succeeded' | 'failed';
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  logs?: string;
  reason?: string;
  lost: boolean;
}

const CLUSTER_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)(?:\/(runCommand)|\/commandResults\/([^/]+)|\/(listClusterUserCredential))?\/?$/i;

function armError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-ms-request-id': crypto.randomUUID(),
    ...headers,
  });
  res.end(JSON.stringify({ error: { code, message } }));
}

function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

const FAULT_CODES: Record<number, [string, string]> = {
  401: ['InvalidAuthenticationToken', 'The access token is invalid.'],
  403: ['AuthorizationFailed', 'The client does not have authorization to perform action over scope.'],
  404: ['NotFound', 'The requested resource was not found.'],
  409: [
    'OperationNotAllowed',
    'Operation is not allowed because there is another operation in progress on the cluster.',
  ],
  429: ['TooManyRequests', 'The request is being throttled.'],
  500: ['InternalServerError', 'An internal error occurred.'],
  502: ['BadGateway', 'Bad gateway.'],
  503: ['ServiceUnavailable', 'The service is unavailable.'],
};

const FAULT_ACTIONS: Record<string, string> = {
  get: 'Microsoft.ContainerService/managedClusters/read',
  runCommand: 'Microsoft.ContainerService/managedClusters/runcommand/action',
  commandResults: 'Microsoft.ContainerService/managedClusters/commandResults/read',
  listClusterUserCredential: 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
};

export class AksSimulator {
  private readonly server: http.Server;
  private readonly clusters = new Map<string, SimCluster>();
  private readonly commands = new Map<string, SimCommand>();
  private readonly faults: FaultBook;
  // One signal shared by every command running on the simulated clusters (unbounded listeners).
  private readonly abort = (() => {
    const c = new AbortController();
    setMaxListeners(0, c.signal);
    return c;
  })();
  private readonly pending = new Set<Promise<void>>();
  private readonly runners = new Map<SimCluster, KubectlRunner>();
  private readonly requestLog: SimRequestRecord[] = [];
  private readonly runCommandLog: SimRunCommandRecord[] = [];
  private readonly pullLog: PullRecord[] = [];
  private tunables: SimTunables;
  private replicaHolds: ReplicaHolds;
  private nextId = 0;
  private port = 0;

  private constructor(private readonly opts: AksSimulatorOptions) {
    this.faults = new FaultBook(opts.seed ?? 1);
    this.tunables = {
      rolloutMs: opts.rolloutMs ?? 200,
      pullFailureDelayMs: opts.pullFailureDelayMs ?? 200,
      commandStartDelayMs: opts.commandStartDelayMs ?? 20,
      resultRetryAfterSeconds: opts.resultRetryAfterSeconds ?? 1,
    };
    this.replicaHolds =
      opts.replicaHolds ?? (opts.acrControlUrl ? acrControlHolds(opts.acrControlUrl) : () => true);
    for (const c of opts.clusters) this.addCluster(c);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) armError(res, 500, 'SimulatorError', (e as Error).message);
        else res.destroy();
      });
    });
    // ARM keeps idle connections far longer than Node's 5 s default; a shorter server timeout
    // races a client reusing the socket (ECONNRESET on a POST that never arrived).
    this.server.keepAliveTimeout = 120_000;
  }

  static async start(opts: AksSimulatorOptions): Promise<AksSimulator> {
    const sim = new AksSimulator(opts);
    await new Promise<void>((resolve, reject) => {
      sim.server.once('error', reject);
      sim.server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    sim.port = (sim.server.address() as AddressInfo).port;
    return sim;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.pending]);
    for (const r of this.runners.values()) r.dispose();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  addCluster(config: SimClusterConfig): SimCluster {
    const cluster = new SimCluster(config, {
      replicaHolds: (region, repository, digest) => this.replicaHolds(region, repository, digest),
      timings: () => this.tunables,
      recordPull: (p) => this.pullLog.push(p),
      signal: this.abort.signal,
    });
    this.clusters.set(this.clusterKey(cluster.subscriptionId, cluster.resourceGroup, cluster.name), cluster);
    return cluster;
  }

  cluster(nameOrId: string): SimCluster {
    for (const c of this.clusters.values())
      if (
        c.name.toLowerCase() === nameOrId.toLowerCase() ||
        c.resourceId.toLowerCase() === nameOrId.toLowerCase()
      )
        return c;
    throw new Error(`no simulated cluster ${nameOrId}`);
  }

  setReplicaHolds(fn: ReplicaHolds): void {
    this.replicaHolds = fn;
  }

  setTunables(patch: Partial<SimTunables>): SimTunables {
    this.tunables = { ...this.tunables, ...patch };
    return this.tunables;
  }

  injectFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  requests(): SimRequestRecord[] {
    return [...this.requestLog];
  }

  runCommands(): SimRunCommandRecord[] {
    return [...this.runCommandLog];
  }

  pulls(): PullRecord[] {
    return [...this.pullLog];
  }

  pullFailures(cluster?: string): number {
    return this.pullLog.filter(
      (p) => !p.ok && (cluster === undefined || p.cluster.toLowerCase() === cluster.toLowerCase()),
    ).length;
  }

  /** Current image of every container, keyed `namespace/Kind/name/container`. */
  images(cluster: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const w of this.cluster(cluster).snapshot())
      for (const c of w.containers) out[`${w.namespace}/${w.kind}/${w.name}/${c.name}`] = c.image;
    return out;
  }

  workloads(cluster: string): SimWorkloadState[] {
    return this.cluster(cluster).snapshot();
  }

  /** Resolves when every accepted command has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  state(): unknown {
    const pullFailures: Record<string, number> = {};
    for (const c of this.clusters.values()) pullFailures[c.name] = this.pullFailures(c.name);
    return {
      url: this.url,
      tunables: this.tunables,
      faults: this.faults.list(),
      clusters: [...this.clusters.values()].map((c) => ({
        resourceId: c.resourceId,
        name: c.name,
        region: c.region,
        aadManaged: c.aadManaged,
        disableRunCommand: c.disableRunCommand,
        workloads: c.snapshot(),
      })),
      runCommands: this.runCommandLog.map((r) => ({
        ...r,
        clusterToken: r.clusterToken ? '(set)' : '',
        state: this.commands.get(r.commandId)?.state,
        exitCode: this.commands.get(r.commandId)?.exitCode,
        startedAt: this.commands.get(r.commandId)?.startedAt,
        finishedAt: this.commands.get(r.commandId)?.finishedAt,
      })),
      pulls: this.pullLog,
      pullFailures,
    };
  }

  private clusterKey(sub: string, rg: string, name: string): string {
    return `${sub}/${rg}/${name}`.toLowerCase();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    if (url.pathname.startsWith('/_control/')) return this.control(req.method ?? 'GET', url, body, res);

    const m = CLUSTER_PATH.exec(url.pathname);
    const operation: SimRequestRecord['operation'] = !m
      ? 'other'
      : m[4]
        ? 'runCommand'
        : m[5]
          ? 'commandResults'
          : m[6]
            ? 'listClusterUserCredential'
            : 'get';
    const record: SimRequestRecord = {
      time: new Date().toISOString(),
      method: req.method ?? '',
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      operation,
      status: 0,
      authorized: req.headers.authorization === `Bearer ${this.opts.token}`,
    };
    if (body.length > 0) {
      try {
        record.body = JSON.parse(body);
      } catch {
        record.body = body;
      }
    }
    this.requestLog.push(record);
    let hang = false;
    const send = (status: number, fn: () => void): void => {
      if (hang) return; // the connection stays open and silent until the client gives up
      record.status = status;
      fn();
    };

    if (!record.authorized)
      return send(401, () =>
        armError(
          res,
          401,
          'AuthenticationFailed',
          'Authentication failed. The Authorization header is missing or the token is invalid.',
          {
            'www-authenticate':
              'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
          },
        ),
      );
    if (!m || !m[1] || !m[2] || !m[3] || operation === 'other')
      return send(404, () => armError(res, 404, 'NotFound', `no route for ${req.method} ${url.pathname}`));
    if (!record.apiVersion)
      return send(400, () =>
        armError(
          res,
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        ),
      );
    const expectedMethod =
      operation === 'runCommand' || operation === 'listClusterUserCredential' ? 'POST' : 'GET';
    if (req.method !== expectedMethod)
      return send(405, () => armError(res, 405, 'MethodNotAllowed', `${req.method} is not allowed here`));

    const [, sub, rg, name] = m as unknown as [string, string, string, string];
    const fault = this.faults.take(operation, name, (r) => r.status !== undefined || r.effect === 'hang');
    hang = fault?.effect === 'hang';
    if (hang) record.status = -1;
    if (fault?.status !== undefined) {
      const status = fault.status;
      const [code, message] = FAULT_CODES[status] ?? ['Error', 'injected fault'];
      const headers: Record<string, string> = {};
      if ((status === 429 || status === 409 || status >= 500) && fault.retryAfterSeconds !== undefined)
        headers['retry-after'] = String(fault.retryAfterSeconds);
      const text =
        status === 403
          ? `The client does not have authorization to perform action '${FAULT_ACTIONS[operation] ?? ''}' over scope '${url.pathname}'.`
          : message;
      return send(status, () => armError(res, status, code, text, headers));
    }

    const cluster = this.clusters.get(this.clusterKey(sub, rg, name));
    if (!cluster)
      return send(404, () =>
        armError(
          res,
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${rg}' was not found.`,
        ),
      );

    if (operation === 'get') return send(200, () => json(res, 200, managedClusterBody(cluster)));
    if (operation === 'listClusterUserCredential') {
      const kubeconfig = userKubeconfig(cluster);
      if (!kubeconfig)
        return send(400, () =>
          armError(res, 400, 'BadRequest', `cluster ${cluster.name} has no simulated Kubernetes API server`),
        );
      return send(200, () =>
        json(res, 200, {
          kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(kubeconfig).toString('base64') }],
        }),
      );
    }
    if (operation === 'runCommand')
      return this.runCommand(cluster, record, res, send, hang ? fault?.commandStartDelayMs : undefined);
    return this.commandResult(cluster, m[5] ?? '', record, res, send);
  }

  private runCommand(
    cluster: SimCluster,
    record: SimRequestRecord,
    res: http.ServerResponse,
    send: (status: number, fn: () => void) => void,
    lateByMs?: number,
  ): void {
    const payload = record.body as
      { command?: unknown; context?: unknown; clusterToken?: unknown } | undefined;
    if (!payload || typeof payload.command !== 'string' || payload.command.length === 0)
      return send(400, () =>
        armError(res, 400, 'InvalidParameter', 'The value of parameter command is invalid.'),
      );
    if (cluster.disableRunCommand)
      return send(400, () =>
        armError(res, 400, 'RunCommandDisabled', 'Run command is disabled for this cluster.'),
      );
    const id =
      (++this.nextId).toString(16).padStart(8, '0') + crypto.randomUUID().replaceAll('-', '').slice(0, 24);
    const apiVersion = record.apiVersion ?? '';
    const command: SimCommand = { id, cluster, apiVersion, state: 'running', lost: false };
    this.commands.set(id, command);
    const clusterToken = typeof payload.clusterToken === 'string' ? payload.clusterToken : '';
    this.runCommandLog.push({
      commandId: id,
      cluster: cluster.name,
      resourceId: cluster.resourceId,
      region: cluster.region,
      time: record.time,
      script: payload.command,
      clusterToken,
      context: typeof payload.context === 'string' ? payload.context : '',
    });
    const notScheduled =
      this.faults.take('runCommand', cluster.name, (r) => r.effect === 'pod-not-scheduled') !== undefined;
    const run = this.execute(command, payload.command, clusterToken, notScheduled, lateByMs).finally(() =>
      this.pending.delete(run),
    );
    this.pending.add(run);
    send(202, () => {
      res.writeHead(202, {
        location: this.resultLocation(cluster, id, apiVersion),
        'retry-after': '0',
        'content-length': '0',
      });
      res.end();
    });
  }

  private resultLocation(cluster: SimCluster, id: string, apiVersion: string): string {
    return `${this.url}/subscriptions/${cluster.subscriptionId}/resourceGroups/${cluster.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster.name}/commandResults/${id}?api-version=${encodeURIComponent(apiVersion)}`;
  }

  private async execute(
    command: SimCommand,
    script: string,
    clusterToken: string,
    notScheduled: boolean,
    lateByMs?: number,
  ): Promise<void> {
    try {
      const delay = lateByMs ?? this.tunables.commandStartDelayMs;
      await sleep(delay, undefined, { signal: this.abort.signal });
      if (notScheduled) {
        command.state = 'failed';
        command.reason =
          'command pod was not scheduled within 60 seconds: 0/3 nodes are available: 3 Insufficient cpu.';
        command.finishedAt = new Date().toISOString();
        return;
      }
      command.startedAt = new Date().toISOString();
      const expected = this.opts.clusterToken ?? this.opts.token;
      const outcome =
        command.cluster.aadManaged && clusterToken !== expected
          ? { exitCode: 1, logs: 'error: You must be logged in to the server (Unauthorized)\n' }
          : await this.runScript(command.cluster, script);
      command.exitCode = outcome.exitCode;
      command.logs = outcome.logs;
      // The command ran to its end: provisioning succeeded, whatever the exit code.
      command.state = 'succeeded';
      command.finishedAt = new Date().toISOString();
    } catch (e) {
      if (this.abort.signal.aborted) return;
      command.state = 'failed';
      command.reason = `simulator error: ${(e as Error).message}`;
      command.finishedAt = new Date().toISOString();
    }
  }

  /** The real sh + kubectl against the region's Kubernetes API when configured, else in process. */
  private runScript(cluster: SimCluster, script: string): Promise<ScriptOutcome> {
    if (!cluster.kubernetesApi) return executeScript(cluster, script);
    let runner = this.runners.get(cluster);
    if (!runner) {
      runner = new KubectlRunner(cluster.kubernetesApi);
      this.runners.set(cluster, runner);
    }
    return runner.run(script, this.abort.signal);
  }

  private commandResult(
    cluster: SimCluster,
    id: string,
    record: SimRequestRecord,
    res: http.ServerResponse,
    send: (status: number, fn: () => void) => void,
  ): void {
    const command = this.commands.get(id);
    if (!command || command.cluster !== cluster)
      return send(404, () => armError(res, 404, 'NotFound', `command result ${id} not found`));
    if (
      command.state !== 'running' &&
      !command.lost &&
      this.faults.take('commandResults', cluster.name, (r) => r.effect === 'lost-result')
    )
      command.lost = true;
    if (command.lost)
      return send(404, () => armError(res, 404, 'NotFound', `command result ${id} not found`));
    if (command.state === 'running')
      return send(202, () => {
        res.writeHead(202, {
          location: this.resultLocation(cluster, id, record.apiVersion ?? command.apiVersion),
          'retry-after': String(this.tunables.resultRetryAfterSeconds),
          'content-length': '0',
        });
        res.end();
      });
    const properties: Record<string, unknown> = { provisioningState: command.state };
    if (command.exitCode !== undefined) properties.exitCode = command.exitCode;
    if (command.startedAt) properties.startedAt = command.startedAt;
    if (command.finishedAt) properties.finishedAt = command.finishedAt;
    if (command.logs !== undefined) properties.logs = command.logs;
    if (command.reason) properties.reason = command.reason;
    send(200, () => json(res, 200, { id: command.id, properties }));
  }

  private control(method: string, url: URL, body: string, res: http.ServerResponse): void {
    try {
      if (method === 'GET' && url.pathname === '/_control/state') return json(res, 200, this.state());
      const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      if (method === 'POST' && url.pathname === '/_control/faults') {
        if (input.clear === true) this.clearFaults();
        if (typeof input.seed === 'number') this.faults.reseed(input.seed);
        const rules = Array.isArray(input.rules) ? (input.rules as FaultRule[]) : [];
        rules.forEach((r) => validateFaultRule(r));
        rules.forEach((r) => this.injectFault(r));
        return json(res, 200, { faults: this.faults.list() });
      }
      if (method === 'POST' && url.pathname === '/_control/tunables')
        return json(res, 200, this.setTunables(input));
      json(res, 404, { error: `no control route ${method} ${url.pathname}` });
    } catch (e) {
      json(res, 400, { error: (e as Error).message });
    }
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The replica view from another process's ACR simulator (asked per pull, 2 s deadline). */
export function acrControlHolds(acrControlUrl: string): ReplicaHolds {
  return async (region, repository, digest) => {
    const u = new URL('/_control/holds', acrControlUrl);
    u.search = new URLSearchParams({ region, repository, digest }).toString();
    const res = await fetch(u, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`ACR simulator answered ${res.status}`);
    const body = (await res.json()) as { holds?: unknown };
    return body.holds === true;
  };
}
