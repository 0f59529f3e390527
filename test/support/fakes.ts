// In-process fakes of the ports (never of our own modules): a registry whose replicas the test
// fills, an executor whose outcomes the test scripts, and a clock the test moves.
import type { AppConfig } from '../../src/app/config/schema';
import type { Deps } from '../../src/app/platform/deps';
import type { RolloutStore } from '../../src/core/model/store';
import type { ReplicaPresence, RolloutHandle } from '../../src/core/model/records';
import type {
  Clock,
  RegistryListingPort,
  ReplicaStatusPort,
  RolloutExecutorPort,
  RolloutRequest,
  RolloutStartResult,
  RolloutStatus,
  TagListing,
} from '../../src/core/model/ports';

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
  unknownRegions = new Set<string>();
  hold(region: string, repository: string, digest: string): void {
    this.held.add(`${region}|${repository}|${digest}`);
  }
  holds(region: string, repository: string, digest: string): boolean {
    return this.held.has(`${region}|${repository}|${digest}`);
  }
  check(region: string, repository: string, digest: string): Promise<ReplicaPresence> {
    this.checks++;
    if (this.unknownRegions.has(region)) return Promise.resolve('unknown');
    return Promise.resolve(this.holds(region, repository, digest) ? 'present' : 'absent');
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

/** The use cases' dependencies with every port faked: a moving clock, a registry, an executor. */
export function fakeDeps(config: AppConfig, store: RolloutStore) {
  const clock = new ManualClock();
  const registry = new FakeRegistry();
  const executor = new FakeExecutor();
  const deps: Deps = {
    config,
    store,
    replicaStatus: registry,
    registryListing: registry,
    executor,
    clock,
    random: () => 0.5,
    // Retries in the use cases return at once: no test waits real time for a back-off.
    sleep: () => Promise.resolve(),
  };
  return { clock, registry, executor, deps };
}
