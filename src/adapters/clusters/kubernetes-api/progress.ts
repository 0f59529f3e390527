// The progress of a rollout started through the Kubernetes API: read from each workload's status
// (src/core/rollout/k8s-progress.ts), failing fast when a pod of the new revision stays stuck
// (ImagePullBackOff, ErrImagePull, CrashLoopBackOff, CreateContainerConfigError) for longer than
// policy.failFastSeconds, with the pod's reason and message.
import type { RolloutRequest, RolloutStatus } from '../../../core/model';
import {
  failFast,
  runsDigest,
  stuckContainers,
  trackStuck,
  workloadProgress,
  type ProgressState,
} from '../../../core/rollout';
import { workloadRef, type K8sClient, type K8sObject } from './client';
import type { K8sHandleWorkload, K8sRolloutRef } from './handle';

/** Reasons a retry can cure (the pull may succeed later); the others fail the region for good. */
const TRANSIENT_STUCK = new Set(['ImagePullBackOff', 'ErrImagePull']);
/** Rollouts whose stuck pods are remembered at once (the oldest is forgotten first). */
const MAX_TRACKED = 1000;

type Failed = Extract<RolloutStatus, { kind: 'failed' }>;

const seenKeyOf = (handleKey: string, w: K8sHandleWorkload): string => `${handleKey}\n${workloadRef(w)}`;

/** Progress, and a failure while the spec does not run this release's digest (another writer). */
function progressWithImage(object: K8sObject, w: K8sHandleWorkload, request: RolloutRequest): ProgressState {
  if (!runsDigest(object, w.container, request.image.digest))
    return {
      state: 'failed',
      reason: 'ImageChanged',
      detail: `container "${w.container}" no longer specifies ${request.image.digest}: another writer changed it`,
    };
  return workloadProgress(w.kind, object);
}

export class K8sProgress {
  /** When each stuck pod container was first seen, per rollout handle and workload (bounded). */
  private readonly stuckSeen = new Map<string, Map<string, number>>();

  constructor(
    private readonly counters: { reads: number },
    private readonly failFastSeconds: number,
    private readonly now: () => number,
  ) {}

  /** The rollout's status from its workloads; K8sApiError when the API server refuses a read. */
  async statusOf(
    client: K8sClient,
    request: RolloutRequest,
    handleKey: string,
    ref: K8sRolloutRef,
  ): Promise<RolloutStatus> {
    const lines: string[] = [];
    let running = false;
    const nowMs = this.now();
    for (const w of ref.workloads) {
      this.counters.reads++;
      const object = await client.getWorkload(w.kind, w.namespace, w.name);
      const progress = progressWithImage(object, w, request);
      const why = 'reason' in progress ? `${progress.reason}: ` : '';
      lines.push(`${workloadRef(w)}: ${progress.state}: ${why}${progress.detail}`);
      if (progress.state === 'failed')
        return {
          kind: 'failed',
          transient: false,
          reason: `${workloadRef(w)}: ${progress.reason}: ${progress.detail}`,
          logs: lines.join('\n'),
        };
      if (progress.state === 'succeeded') continue;
      running = true;
      const stuck = await this.stuckVerdict(client, handleKey, w, object, nowMs);
      if (stuck) return { ...stuck, logs: [...lines, stuck.reason].join('\n') };
    }
    if (!running) {
      for (const w of ref.workloads) this.stuckSeen.delete(seenKeyOf(handleKey, w));
      return { kind: 'succeeded', logs: lines.join('\n') };
    }
    if (nowMs - ref.startedAtMs > request.timeoutSeconds * 1000)
      return {
        kind: 'failed',
        transient: true,
        reason: `the rollout did not finish within ${request.timeoutSeconds}s: ${lines.join('; ')}`,
        logs: lines.join('\n'),
      };
    return { kind: 'running' };
  }

  private async stuckVerdict(
    client: K8sClient,
    handleKey: string,
    w: K8sHandleWorkload,
    object: K8sObject,
    nowMs: number,
  ): Promise<Failed | undefined> {
    this.counters.reads++;
    const stuck = stuckContainers(await client.newRevisionPods(w.kind, object, w.container));
    const seenKey = seenKeyOf(handleKey, w);
    const seen = trackStuck(this.stuckSeen.get(seenKey) ?? new Map(), stuck, nowMs);
    this.remember(seenKey, seen);
    const decision = failFast(stuck, seen, nowMs, this.failFastSeconds);
    if (!decision.fail) return undefined;
    return {
      kind: 'failed',
      transient: TRANSIENT_STUCK.has(decision.reason),
      reason: `${workloadRef(w)}: pod stuck in ${decision.reason} for ${Math.round(decision.stuckForMs / 1000)}s (failFastSeconds ${this.failFastSeconds}): ${decision.message}`,
    };
  }

  private remember(key: string, seen: Map<string, number>): void {
    this.stuckSeen.delete(key);
    this.stuckSeen.set(key, seen);
    while (this.stuckSeen.size > MAX_TRACKED) {
      const oldest = this.stuckSeen.keys().next().value;
      if (oldest === undefined) break;
      this.stuckSeen.delete(oldest);
    }
  }
}
