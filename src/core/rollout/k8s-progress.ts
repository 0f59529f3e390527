// Reading a rollout's progress from a workload's status, and the fail-fast decision from its
// new-revision pods. Pure: the adapter fetches the objects and keeps the first-seen times.
import type { WorkloadKind } from '../model';

export type ProgressState =
  | { state: 'progressing'; detail: string }
  | { state: 'succeeded'; detail: string }
  | { state: 'failed'; reason: string; detail: string };

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface WorkloadStatusView {
  metadata?: { generation?: number; name?: string };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
  };
}

function n(v: number | undefined): number {
  return typeof v === 'number' ? v : 0;
}

function deploymentProgress(obj: WorkloadStatusView): ProgressState {
  const s = obj.status ?? {};
  const want = obj.spec?.replicas ?? 1;
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return {
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      detail: progressing.message ?? 'progress deadline exceeded',
    };
  if (n(s.updatedReplicas) < want)
    return { state: 'progressing', detail: `${n(s.updatedReplicas)} of ${want} new replicas updated` };
  if (n(s.replicas) > n(s.updatedReplicas))
    return {
      state: 'progressing',
      detail: `${n(s.replicas) - n(s.updatedReplicas)} old replicas pending termination`,
    };
  if (n(s.availableReplicas) < n(s.updatedReplicas))
    return {
      state: 'progressing',
      detail: `${n(s.availableReplicas)} of ${n(s.updatedReplicas)} updated replicas available`,
    };
  return { state: 'succeeded', detail: `${want} replicas updated and available` };
}

function statefulSetProgress(obj: WorkloadStatusView): ProgressState {
  const s = obj.status ?? {};
  const want = obj.spec?.replicas ?? 1;
  if (n(s.readyReplicas) < want)
    return { state: 'progressing', detail: `${n(s.readyReplicas)} of ${want} pods ready` };
  if (!s.updateRevision || s.updateRevision !== s.currentRevision)
    return {
      state: 'progressing',
      detail: `${n(s.updatedReplicas)} of ${want} pods at revision ${s.updateRevision ?? '?'}`,
    };
  return { state: 'succeeded', detail: `${want} pods ready at revision ${s.updateRevision}` };
}

function daemonSetProgress(obj: WorkloadStatusView): ProgressState {
  const s = obj.status ?? {};
  const want = n(s.desiredNumberScheduled);
  if (n(s.updatedNumberScheduled) < want)
    return {
      state: 'progressing',
      detail: `${n(s.updatedNumberScheduled)} of ${want} updated pods scheduled`,
    };
  if (n(s.numberAvailable) < want)
    return { state: 'progressing', detail: `${n(s.numberAvailable)} of ${want} updated pods available` };
  return { state: 'succeeded', detail: `${want} pods updated and available` };
}

/** The rollout state a workload's status shows (what `kubectl rollout status` decides). */
export function workloadProgress(kind: WorkloadKind, obj: WorkloadStatusView): ProgressState {
  const generation = obj.metadata?.generation ?? 0;
  if (n(obj.status?.observedGeneration) < generation)
    return { state: 'progressing', detail: `generation ${generation} not yet observed by the controller` };
  if (kind === 'Deployment') return deploymentProgress(obj);
  if (kind === 'StatefulSet') return statefulSetProgress(obj);
  return daemonSetProgress(obj);
}

/** Container waiting reasons that do not heal by waiting; they fail an attempt fast. */
export const STUCK_REASONS = [
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
] as const;
export type StuckReason = (typeof STUCK_REASONS)[number];

export interface PodView {
  metadata?: { name?: string };
  status?: {
    containerStatuses?: Array<{ name?: string; state?: { waiting?: { reason?: string; message?: string } } }>;
    initContainerStatuses?: Array<{
      name?: string;
      state?: { waiting?: { reason?: string; message?: string } };
    }>;
  };
}

export interface StuckPod {
  pod: string;
  container: string;
  reason: StuckReason;
  message: string;
}

/** The pods' containers currently waiting for a stuck reason. */
export function stuckContainers(pods: PodView[]): StuckPod[] {
  const out: StuckPod[] = [];
  for (const p of pods) {
    const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
    for (const c of statuses) {
      const reason = c.state?.waiting?.reason;
      if (reason && (STUCK_REASONS as readonly string[]).includes(reason))
        out.push({
          pod: p.metadata?.name ?? '?',
          container: c.name ?? '?',
          reason: reason as StuckReason,
          message: c.state?.waiting?.message ?? '',
        });
    }
  }
  return out;
}

/**
 * When each pod container was first seen stuck (ErrImagePull and ImagePullBackOff alternate, so
 * the key is pod+container, not the reason). Entries that are no longer stuck are dropped, so a
 * pod that recovers (the replica caught up) starts over.
 */
export function trackStuck(
  previous: ReadonlyMap<string, number>,
  now: StuckPod[],
  nowMs: number,
): Map<string, number> {
  const next = new Map<string, number>();
  for (const s of now) {
    const key = `${s.pod}/${s.container}`;
    next.set(key, previous.get(key) ?? nowMs);
  }
  return next;
}

export type FailFastDecision =
  { fail: false } | { fail: true; reason: StuckReason; message: string; pod: string; stuckForMs: number };

/** Fail when any new-revision pod has been stuck for longer than failFastSeconds. */
export function failFast(
  stuck: StuckPod[],
  firstSeen: ReadonlyMap<string, number>,
  nowMs: number,
  failFastSeconds: number,
): FailFastDecision {
  let worst: FailFastDecision = { fail: false };
  for (const s of stuck) {
    const since = firstSeen.get(`${s.pod}/${s.container}`) ?? nowMs;
    const stuckForMs = nowMs - since;
    if (stuckForMs > failFastSeconds * 1000 && (!worst.fail || stuckForMs > worst.stuckForMs))
      worst = {
        fail: true,
        reason: s.reason,
        message: `${s.pod}/${s.container}: ${s.reason}: ${s.message}`,
        pod: s.pod,
        stuckForMs,
      };
  }
  return worst;
}
