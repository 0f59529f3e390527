// The durable reference to a rollout started through the Kubernetes API: which workloads were
// changed (or already ran the digest) at which generation/resourceVersion, or that the fence
// found a newer change. Any later executor instance polls progress from it.
import { safeJson } from '../../../core/platform';
import type { RolloutHandle } from '../../../core/model';
import { WORKLOAD_KINDS, type WorkloadKind } from '../../../core/model';

export interface K8sHandleWorkload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  container: string;
  /** applied: our patch; running: the container already ran the digest (nothing patched). */
  outcome: 'applied' | 'running';
  generation: number;
  resourceVersion: string;
}

export interface K8sRolloutRef {
  startedAtMs: number;
  workloads: K8sHandleWorkload[];
  /** Set when the fence's test failed: a newer change is on the workload; nothing changed. */
  fenced?: string | undefined;
  /** Set when a later workload was refused for good after an earlier one changed. */
  failed?: string | undefined;
}

export function encodeK8sHandle(ref: K8sRolloutRef): RolloutHandle {
  const rv = ref.workloads.map((w) => w.resourceVersion || '-').join(',');
  return {
    value: JSON.stringify({ v: 1, path: 'kubernetes-api', ...ref }),
    commandId: ref.fenced ? 'k8s-fenced' : ref.failed ? 'k8s-failed' : `k8s-rv-${rv}`.slice(0, 128),
  };
}

function isWorkload(x: unknown): x is K8sHandleWorkload {
  if (typeof x !== 'object' || x === null) return false;
  const w = x as Record<string, unknown>;
  return (
    typeof w.kind === 'string' &&
    (WORKLOAD_KINDS as readonly string[]).includes(w.kind) &&
    typeof w.namespace === 'string' &&
    typeof w.name === 'string' &&
    typeof w.container === 'string' &&
    (w.outcome === 'applied' || w.outcome === 'running') &&
    typeof w.generation === 'number' &&
    typeof w.resourceVersion === 'string'
  );
}

export function decodeK8sHandle(handle: RolloutHandle): K8sRolloutRef | undefined {
  const o = safeJson(handle.value) as Record<string, unknown> | undefined;
  if (typeof o !== 'object' || o === null || o.v !== 1 || o.path !== 'kubernetes-api') return undefined;
  const { startedAtMs, workloads, fenced, failed } = o;
  if (typeof startedAtMs !== 'number' || !Array.isArray(workloads) || !workloads.every(isWorkload))
    return undefined;
  if (fenced !== undefined && typeof fenced !== 'string') return undefined;
  if (failed !== undefined && typeof failed !== 'string') return undefined;
  return {
    startedAtMs,
    workloads,
    ...(fenced !== undefined ? { fenced } : {}),
    ...(failed !== undefined ? { failed } : {}),
  };
}
