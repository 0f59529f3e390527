// In-process fakes of the ports (never of our own modules): a registry whose replicas the test
// fills, an executor whose outcomes the test scripts, a clock the test moves, and recording
// fakes of the rest (push verifier, wake-up queue, outbox, notification sender, metrics), so every
// use case runs with all of its ports, as in the app.
import type { AppConfig } from '../../src/app/config/schema';
import type { Deps } from '../../src/app/platform/deps';
import type {
  DeliveryOutcome,
  ErrorOperation,
  Metrics,
  RegionAttributes,
} from '../../src/app/platform/metrics';
import { WakeupSchedule } from '../../src/app/wakeups/schedule-wakeups';
import type { RolloutStore, WriteResult } from '../../src/core/model/store';
import type { ReplicaPresence, RolloutHandle } from '../../src/core/model/records';
import type {
  Clock,
  PoisonedWakeup,
  PushVerification,
  PushVerifierPort,
  RegistryListingPort,
  ReplicaCheck,
  ReplicaStatusPort,
  RolloutExecutorPort,
  RolloutRequest,
  RolloutStartResult,
  RolloutStatus,
  TagListing,
  Wakeup,
  WakeupPort,
} from '../../src/core/model/ports';
import type { NotifySend, NotifySendResult, OutboxEntry, OutboxStore } from '../../src/core/notify/outbox';

export class ManualClock implements Clock {
  constructor(private t: number = Date.parse('2026-11-27T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export class FakeRegistry implements ReplicaStatusPort, RegistryListingPort {
  readonly held = new Set<string>();
  readonly tags = new Map<string, TagListing[]>();
  checks = 0;
  /** Regions without a regional endpoint: 'unknown', not a failure (the webhooks decide). */
  unknownRegions = new Set<string>();
  /** Regions whose check fails, with its cause (as ACR answering 403 would). */
  failingRegions = new Map<string, string>();
  hold(region: string, repository: string, digest: string): void {
    this.held.add(`${region}|${repository}|${digest}`);
  }
  holds(region: string, repository: string, digest: string): boolean {
    return this.held.has(`${region}|${repository}|${digest}`);
  }
  async check(region: string, repository: string, digest: string): Promise<ReplicaPresence> {
    return (await this.checkWithCause(region, repository, digest)).presence;
  }
  checkWithCause(region: string, repository: string, digest: string): Promise<ReplicaCheck> {
    this.checks++;
    const cause = this.failingRegions.get(region);
    if (cause !== undefined) return Promise.resolve({ presence: 'unknown', cause });
    if (this.unknownRegions.has(region)) return Promise.resolve({ presence: 'unknown' });
    return Promise.resolve({ presence: this.holds(region, repository, digest) ? 'present' : 'absent' });
  }
  recentTags(repository: string): Promise<TagListing[]> {
    return Promise.resolve([...(this.tags.get(repository) ?? [])]);
  }
}

export interface StartedCommand {
  releaseId: string;
  region: string;
  digest: string;
  workloads: string[];
  handle: string;
}

/** Runs nothing; each start is recorded, and its outcome is what the test says (default: success). */
export class FakeExecutor implements RolloutExecutorPort {
  readonly started: StartedCommand[] = [];
  private seq = 0;
  /** Outcome for a start of (releaseId, region); default succeeded. */
  outcome: (cmd: StartedCommand) => RolloutStatus = () => ({ kind: 'succeeded', logs: 'ok' });
  /** Decide whether a start is accepted; default yes. */
  accept: (req: RolloutRequest) => RolloutStartResult | undefined = () => undefined;
  start(req: RolloutRequest): Promise<RolloutStartResult> {
    const refused = this.accept(req);
    if (refused) return Promise.resolve(refused);
    const handle = `cmd-${++this.seq}`;
    this.started.push({
      releaseId: req.releaseId,
      region: req.region,
      digest: req.image.digest,
      workloads: req.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}/${w.container}`),
      handle,
    });
    return Promise.resolve({ kind: 'started', handle: { value: handle, commandId: handle } });
  }
  status(_req: RolloutRequest, handle: RolloutHandle): Promise<RolloutStatus> {
    const cmd = this.started.find((s) => s.handle === handle.value);
    if (!cmd) return Promise.resolve({ kind: 'unknown', reason: 'no such command' });
    return Promise.resolve(this.outcome(cmd));
  }
  describe(req: RolloutRequest): string {
    return `kubectl set image ${req.workloads.map((w) => `${w.kind}/${w.name}`).join(' ')} ${req.image.loginServer}/${req.image.repository}@${req.image.digest}`;
  }
}

/** status() throws (a network error the executor did not turn into 'unknown') while `failing`. */
export class FailingStatusExecutor extends FakeExecutor {
  statusCalls = 0;
  failing = true;
  constructor(readonly error = 'socket hang up') {
    super();
  }
  override status(req: RolloutRequest, handle: RolloutHandle): Promise<RolloutStatus> {
    this.statusCalls++;
    if (this.failing) return Promise.reject(new Error(this.error));
    return super.status(req, handle);
  }
}

/**
 * Confirms every push. The push time it reports, when asked, is the registry's: the tag's
 * updatedAt in the fake registry's listing while that lists the tag at this digest.
 */
export class AcceptingVerifier implements PushVerifierPort {
  readonly asked: Array<{ repository: string; tag: string; digest: string; pushTime: boolean }> = [];
  constructor(private readonly registry: FakeRegistry) {}
  verify(
    repository: string,
    tag: string,
    digest: string,
    _signal?: AbortSignal,
    opts: { pushTime?: boolean } = {},
  ): Promise<PushVerification> {
    const pushTime = opts.pushTime === true;
    this.asked.push({ repository, tag, digest, pushTime });
    const listed = this.registry.tags.get(repository)?.find((t) => t.tag === tag && t.digest === digest);
    return Promise.resolve({ outcome: 'verified', pushedAt: pushTime ? listed?.updatedAt : undefined });
  }
}

/** A wake-up queue nobody consumes: each send is recorded and dropped; the poison queue is the test's. */
export class RecordingWakeups implements WakeupPort {
  readonly sent: Array<Wakeup & { delaySeconds: number }> = [];
  readonly poison: PoisonedWakeup[] = [];
  send(w: Wakeup, delaySeconds: number): Promise<void> {
    this.sent.push({ ...w, delaySeconds });
    return Promise.resolve();
  }
  poisoned(limit: number): Promise<PoisonedWakeup[]> {
    return Promise.resolve(this.poison.slice(0, limit));
  }
}

/** The outbox in memory: create-if-absent puts, ETag-guarded updates and deletes, as the Table one. */
export class MemoryOutbox implements OutboxStore {
  private readonly rows = new Map<string, OutboxEntry>();
  private seq = 0;
  private id(e: Pick<OutboxEntry, 'scope' | 'key'>): string {
    const s = e.scope;
    return `${s.kind === 'region' ? `region:${s.region}` : s.kind}|${e.key}`;
  }
  listOutbox(regions: readonly string[]): Promise<OutboxEntry[]> {
    const listed = [...this.rows.values()].filter(
      (e) => e.scope.kind !== 'region' || regions.includes(e.scope.region),
    );
    return Promise.resolve(listed.map((e) => structuredClone(e)));
  }
  putOutbox(entries: readonly OutboxEntry[]): Promise<void> {
    for (const e of entries)
      if (!this.rows.has(this.id(e))) this.rows.set(this.id(e), { ...structuredClone(e), etag: this.etag() });
    return Promise.resolve();
  }
  updateOutbox(entry: OutboxEntry): Promise<{ result: WriteResult; etag?: string | undefined }> {
    const row = this.rows.get(this.id(entry));
    if (!row || row.etag !== entry.etag) return Promise.resolve({ result: 'conflict' });
    const etag = this.etag();
    this.rows.set(this.id(entry), { ...structuredClone(entry), etag });
    return Promise.resolve({ result: 'ok', etag });
  }
  deleteOutbox(entry: OutboxEntry): Promise<WriteResult> {
    const row = this.rows.get(this.id(entry));
    if (!row || row.etag !== entry.etag) return Promise.resolve('conflict');
    this.rows.delete(this.id(entry));
    return Promise.resolve('ok');
  }
  private etag(): string {
    return `W/"${++this.seq}"`;
  }
}

/** A notification sender that sends nothing: each message is recorded and answered ok. */
export class RecordingNotify {
  readonly sent: Array<{ url: string; format: string; body: string; idempotencyKey?: string | undefined }> =
    [];
  readonly send: NotifySend = (target, message, options) => {
    this.sent.push({ ...target, body: message.body, idempotencyKey: options.idempotencyKey });
    options.onOutcome?.(target.format, 'ok');
    return Promise.resolve<NotifySendResult>({ ok: true, status: 200, retryable: false });
  };
}

/** Every metric recorded, as calls the test reads back. */
export class RecordingMetrics implements Metrics {
  readonly figures: Array<{ name: string; ms: number } & RegionAttributes> = [];
  readonly outcomes: Array<{ region: string; state: string }> = [];
  readonly webhooks: Array<{ region: string; outcome: string }> = [];
  readonly notifications: Array<{ format: string; outcome: DeliveryOutcome }> = [];
  readonly errors: ErrorOperation[] = [];
  replicationLag(ms: number, a: RegionAttributes): void {
    this.figures.push({ name: 'replicationLag', ms, ...a });
  }
  reactionDelay(ms: number, a: RegionAttributes): void {
    this.figures.push({ name: 'reactionDelay', ms, ...a });
  }
  rolloutDuration(ms: number, a: RegionAttributes): void {
    this.figures.push({ name: 'rolloutDuration', ms, ...a });
  }
  rolloutOutcome(a: { region: string; state: string }): void {
    this.outcomes.push({ ...a });
  }
  webhookDelivery(a: { region: string; outcome: string }): void {
    this.webhooks.push({ ...a });
  }
  notificationDelivery(a: { format: string; outcome: DeliveryOutcome }): void {
    this.notifications.push({ ...a });
  }
  operationError(a: { operation: ErrorOperation }): void {
    this.errors.push(a.operation);
  }
}

/**
 * The use cases' dependencies with every port faked: a moving clock, a registry, an executor, a
 * verifier that confirms every push, a wake-up queue and an outbox nobody consumes, a sender that
 * sends nothing, and recorded metrics.
 */
export function fakeDeps(config: AppConfig, store: RolloutStore) {
  const clock = new ManualClock();
  const registry = new FakeRegistry();
  const executor = new FakeExecutor();
  const verifier = new AcceptingVerifier(registry);
  const wakeups = new RecordingWakeups();
  const outbox = new MemoryOutbox();
  const notify = new RecordingNotify();
  const metrics = new RecordingMetrics();
  const deps: Deps = {
    config,
    store,
    replicaStatus: registry,
    registryListing: registry,
    pushVerifier: verifier,
    executor,
    clock,
    random: () => 0.5,
    // Retries in the use cases return at once: no test waits real time for a back-off.
    sleep: () => Promise.resolve(),
    outbox,
    notify: notify.send,
    wakeups,
    wakeupSchedule: new WakeupSchedule(),
    metrics,
  };
  return { clock, registry, executor, verifier, wakeups, outbox, notify, metrics, deps };
}
