// A geo-replicated ACR on loopback: one base URL per region, replication delays, token service,
// regional webhooks and fault switches. In-process for tests (`AcrSimulator.start`), or as a
// process via main.ts.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRegion } from '../../src/core/model/names';
import { Prng } from './prng';
import { Replication } from './replication';
import { createHandler } from './server';
import { TokenService } from './tokens';
import type {
  AcrSimulatorOptions,
  DeliveryRecord,
  FaultSettings,
  PathKind,
  PushInput,
  PushRecord,
  ReplicaHolds,
  WebhookConfig,
} from './types';
import { WebhookSender, deletePayload, pushPayload, acrTimestamp } from './webhooks';

export * from './types';
export { MANIFEST_ACCEPT_TYPES } from './server';
export { acrTimestamp } from './webhooks';

const DEFAULT_FAULTS: FaultSettings = {
  dropRate: 0,
  duplicates: 0,
  extraDelayMs: 0,
  reorder: false,
  reorderWindowMs: 200,
  registry: {},
  stuckRegions: [],
};

export class AcrSimulator {
  readonly loginServer: string;
  readonly home: string;
  readonly regions: readonly string[];
  /** Base URL of the server, e.g. http://127.0.0.1:5050. */
  readonly url: string;
  /** The regional endpoint template: `${url}/{region}`. */
  readonly regionalEndpoint: string;
  /** The home region's base URL (the registry endpoint). */
  readonly endpoint: string;
  /** Settings changeable at runtime (the object itself is replaced by setFaults). */
  aadToken: string;
  refreshTokenTtlSeconds: number;
  accessTokenTtlSeconds: number;
  requireAllAcceptTypes: boolean;

  private faults: FaultSettings;
  private webhooks: WebhookConfig[];
  private readonly replication: Replication;
  private readonly tokens: TokenService;
  private readonly sender: WebhookSender;
  private readonly counters = new Map<string, number>();
  private readonly hung = new Set<http.ServerResponse>();

  private constructor(
    opts: AcrSimulatorOptions,
    private readonly server: http.Server,
    port: number,
  ) {
    this.loginServer = opts.loginServer ?? 'myregistry.azurecr.io';
    this.home = opts.home;
    this.regions = [...opts.regions];
    this.url = `http://127.0.0.1:${port}`;
    this.regionalEndpoint = `${this.url}/{region}`;
    this.endpoint = `${this.url}/${this.home}`;
    this.aadToken = opts.aadToken ?? 'local-dev-token';
    this.refreshTokenTtlSeconds = opts.refreshTokenTtlSeconds ?? 10800;
    this.accessTokenTtlSeconds = opts.accessTokenTtlSeconds ?? 3600;
    this.requireAllAcceptTypes = opts.requireAllAcceptTypes ?? true;
    this.faults = { ...DEFAULT_FAULTS, ...opts.faults, registry: { ...opts.faults?.registry } };
    this.webhooks = [...(opts.webhooks ?? [])];
    const prng = new Prng(opts.seed ?? 42);
    this.sender = new WebhookSender({
      prng,
      webhooks: () => this.webhooks,
      faults: () => this.faults,
      timeoutMs: opts.webhookTimeoutMs ?? 5000,
      loginServer: this.loginServer,
    });
    this.replication = new Replication(
      this.regions,
      this.home,
      prng,
      (region) => opts.delays?.[region] ?? opts.defaultDelayMs ?? 1000,
      {
        onLand: (region, push) =>
          push.webhooks !== false &&
          this.sender.fire(
            region,
            pushPayload(
              push,
              opts.regionalTimestamp === 'push' ? new Date(push.pushedAt) : new Date(),
              this.loginServer,
            ),
            push.tag,
          ),
        onDelete: (region, repository, digest, mediaType) =>
          this.sender.fire(region, deletePayload(repository, digest, mediaType, this.loginServer), ''),
      },
    );
    this.replication.setStuck(this.faults.stuckRegions);
    this.tokens = new TokenService({
      aadToken: () => this.aadToken,
      service: this.loginServer,
      refreshTtlSeconds: () => this.refreshTokenTtlSeconds,
      accessTtlSeconds: () => this.accessTokenTtlSeconds,
    });
  }

  static async start(opts: AcrSimulatorOptions): Promise<AcrSimulator> {
    if (opts.regions.length === 0 || !opts.regions.every(isRegion))
      throw new Error('regions must be Azure region names');
    if (!opts.regions.includes(opts.home)) throw new Error(`home region ${opts.home} is not in regions`);
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const sim = new AcrSimulator(opts, server, (server.address() as AddressInfo).port);
    const handle = createHandler({
      regions: sim.regions,
      loginServer: sim.loginServer,
      baseUrl: () => sim.url,
      replication: sim.replication,
      tokens: sim.tokens,
      faults: () => sim.faults,
      requireAllAcceptTypes: () => sim.requireAllAcceptTypes,
      tagsPageSize: opts.tagsPageSize ?? 100,
      count: (region, kind) =>
        sim.counters.set(`${region}|${kind}`, (sim.counters.get(`${region}|${kind}`) ?? 0) + 1),
      hung: sim.hung,
      control: {
        push: (input) => sim.push(input as PushInput),
        deleteManifest: (repository, digest) => sim.deleteManifest(repository, digest),
        state: () => sim.state(),
        deliveries: () => sim.deliveries(),
        setFaults: (patch) => sim.setFaults(patch),
        setWebhooks: (hooks) => sim.setWebhooks(hooks as WebhookConfig[]),
        ping: (region) => sim.ping(region),
        holds: (region, repository, digest) => sim.holds(region, repository, digest),
        revokeTokens: (kind) => sim.revokeTokens(kind),
      },
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(e));
      });
    });
    return sim;
  }

  /** Closes the server, drops hung requests and clears every timer. */
  async stop(): Promise<void> {
    this.replication.stop();
    this.sender.stop();
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Pushes an image: lands in the receiving region now, in the others after their delays. */
  push(input: PushInput): PushRecord {
    return this.replication.push(input);
  }

  deleteManifest(repository: string, digest: string): boolean {
    return this.replication.deleteManifest(repository, digest);
  }

  /** Sends a ping event to the webhooks of `region` that subscribe to ping. */
  ping(region: string): void {
    this.sender.fire(region, { id: randomUUID(), timestamp: acrTimestamp(), action: 'ping' }, '');
  }

  /** Synchronous, so the AKS simulator can ask it during a simulated pull. */
  readonly holds: ReplicaHolds = (region, repository, digest) =>
    this.replication.holds(region, repository, digest);

  replicatedAt(region: string, repository: string, digest: string): Date | undefined {
    return this.replication.replicatedAt(region, repository, digest);
  }

  whenReplicated(repository: string, digest: string): Promise<void> {
    return this.replication.whenReplicated(repository, digest);
  }

  /** Resolves once replication of `digest` came due in the stuck `region` and was held back. */
  whenParked(region: string, digest: string): Promise<void> {
    return this.replication.whenParked(region, digest);
  }

  /** Resolves when every webhook delivery started so far has finished (or failed). */
  deliveriesSettled(): Promise<void> {
    return this.sender.settled();
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.sender.deliveries();
  }

  pushes(): readonly PushRecord[] {
    return this.replication.allPushes();
  }

  state(): {
    home: string;
    regions: readonly string[];
    pushes: readonly PushRecord[];
    faults: FaultSettings;
  } {
    return { home: this.home, regions: this.regions, pushes: this.pushes(), faults: this.faults };
  }

  /** Merges a fault patch; `registry` entries merge per region (set one to null/undefined to clear it). */
  setFaults(patch: Partial<FaultSettings>): FaultSettings {
    const registry = { ...this.faults.registry, ...(patch.registry ?? {}) };
    for (const [k, v] of Object.entries(registry)) {
      if (!v) delete registry[k];
      else registry[k] = { ...v }; // the server counts `count` down on its own copy
    }
    this.faults = { ...this.faults, ...patch, registry };
    if (patch.stuckRegions) this.replication.setStuck(patch.stuckRegions);
    return this.faults;
  }

  setWebhooks(webhooks: WebhookConfig[]): void {
    if (!Array.isArray(webhooks)) throw new Error('webhooks must be an array');
    this.webhooks = webhooks.map((w) => ({ ...w }));
  }

  revokeTokens(kind: 'access' | 'refresh' | 'all' = 'all'): void {
    this.tokens.revoke(kind);
  }

  /** Requests seen, per region and path kind (manifest, tags, exchange, token, ping, other). */
  requestCount(region: string, kind: PathKind): number {
    return this.counters.get(`${region}|${kind}`) ?? 0;
  }

  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }
}
