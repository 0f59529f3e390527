// RolloutExecutorPort over the cluster's Kubernetes API (K8sClient). start(): per workload, read
// it, skip it when its container already runs the digest, else send the fenced JSON patch
// (src/core/rollout/fence.ts); a failed fence test (422) is "a newer change is already there", the same
// outcome the Run Command path reports. The handle lists the workloads with the generation and
// resourceVersion the change produced. status(): progress from each workload's status, failing
// fast on a stuck pod (./progress.ts). A revert is the same change.
import type {
  RolloutHandle,
  RolloutExecutorPort,
  RolloutRequest,
  RolloutStartResult,
  RolloutStatus,
  RolloutWorkload,
} from '../../../core/model';
import { buildFencedPatch, fenceInputProblems, type FenceChange } from '../../../core/rollout';
import { errorMessage } from '../../../core/platform';
import { K8sClient, WORKLOAD_RESOURCE, workloadRef } from './client';
import type { ClusterAccessRequest, ConnectionAnswer } from './credentials';
import { encodeK8sHandle, decodeK8sHandle, type K8sHandleWorkload, type K8sRolloutRef } from './handle';
import { DEFAULT_K8S_HTTP, K8sApiError, type K8sHttpOptions } from './http';
import { K8sProgress } from './progress';

const EPOCH = '1970-01-01T00:00:00Z';

export interface K8sExecutorOptions {
  /** The API server URL, CA and bearer for a cluster (src/adapters/clusters/kubernetes-api/credentials.ts). */
  connect: (req: ClusterAccessRequest, signal?: AbortSignal) => Promise<ConnectionAnswer>;
  /** Per region: accept a local-accounts kubeconfig. */
  allowLocalAccounts?: (region: string) => boolean;
  /** A 401 from the API server: the cached server/CA may be stale (rotated); read them again next time. */
  onUnauthorized?: (cluster: string) => void;
  /** policy.failFastSeconds (default 120). */
  failFastSeconds?: number;
  http?: K8sHttpOptions;
  now?: () => number;
}

export interface K8sExecutorStats {
  patches: number;
  reads: number;
}

export type K8sExecutor = RolloutExecutorPort & { stats(): K8sExecutorStats };

function changeOf(request: RolloutRequest): FenceChange {
  return {
    loginServer: request.image.loginServer,
    repository: request.image.repository,
    digest: request.image.digest,
    releaseId: request.releaseId,
    pushedAt: request.pushedAt ?? EPOCH,
  };
}

/** Every problem with the input before any call (rule 7): names, digest, release ids. */
function inputProblems(request: RolloutRequest): string[] {
  const change = changeOf(request);
  return request.workloads.flatMap((w) =>
    fenceInputProblems({
      target: w,
      containerIndex: w.containerIndex ?? 0,
      change,
      expectedRelease: w.expectedRelease,
    }),
  );
}

type Transport = { kind: 'transport'; error: K8sApiError };

/** How a K8sApiError in start() ends the start, given whether a change may already be on the cluster. */
function startFailure(err: K8sApiError, changedAny: boolean, where: string): RolloutStartResult | Transport {
  const reason = `${where}: ${err.message}`;
  // No answer, or a 5xx: the PATCH may have been applied. The claim stays; the re-send is idempotent.
  if (err.kind === 'network' || err.kind === 'server') return { kind: 'ambiguous', reason };
  if (changedAny) return { kind: 'transport', error: err };
  const transient = err.kind === 'throttled' || err.kind === 'conflict';
  return { kind: 'rejected', transient, reason };
}

/** Why there is no connection to the API server. */
type Refused = Extract<ConnectionAnswer, { ok: false }>;

class KubernetesApiExecutor {
  readonly counters: K8sExecutorStats = { patches: 0, reads: 0 };
  private readonly now: () => number;
  private readonly progress: K8sProgress;

  constructor(private readonly opts: K8sExecutorOptions) {
    this.now = opts.now ?? Date.now;
    this.progress = new K8sProgress(this.counters, opts.failFastSeconds ?? 120, this.now);
  }

  private async client(request: RolloutRequest, signal?: AbortSignal): Promise<K8sClient | Refused> {
    const allow = this.opts.allowLocalAccounts?.(request.region) ?? false;
    const answer = await this.opts.connect({ cluster: request.cluster, allowLocalAccounts: allow }, signal);
    if (!answer.ok) return answer;
    return new K8sClient(answer.connection, this.opts.http ?? DEFAULT_K8S_HTTP);
  }

  async start(request: RolloutRequest, signal?: AbortSignal): Promise<RolloutStartResult> {
    const problems = inputProblems(request);
    if (problems.length > 0) return { kind: 'rejected', transient: false, reason: problems.join('; ') };
    const client = await this.client(request, signal);
    if (!(client instanceof K8sClient))
      return { kind: 'rejected', transient: client.transient, reason: client.reason };
    const startedAtMs = this.now();
    const done: K8sHandleWorkload[] = [];
    for (const w of request.workloads) {
      let one: K8sHandleWorkload | { fenced: string };
      try {
        one = await this.applyOne(client, request, w);
      } catch (e) {
        if (!(e instanceof K8sApiError)) throw e;
        if (e.kind === 'unauthorized') this.opts.onUnauthorized?.(request.cluster);
        const out = startFailure(
          e,
          done.some((d) => d.outcome === 'applied'),
          workloadRef(w),
        );
        if (out.kind !== 'transport') return out;
        // A later workload was refused for good after an earlier one changed: the attempt ran.
        return this.started({ startedAtMs, workloads: done, failed: `${workloadRef(w)}: ${e.message}` });
      }
      if ('fenced' in one) return this.started({ startedAtMs, workloads: done, fenced: one.fenced });
      done.push(one);
    }
    return this.started({ startedAtMs, workloads: done });
  }

  private started(ref: K8sRolloutRef): RolloutStartResult {
    return { kind: 'started', handle: encodeK8sHandle(ref) };
  }

  private async applyOne(
    client: K8sClient,
    request: RolloutRequest,
    w: RolloutWorkload,
  ): Promise<K8sHandleWorkload | { fenced: string }> {
    const target = { kind: w.kind, namespace: w.namespace, name: w.name, container: w.container };
    this.counters.reads++;
    const out = await client.applyFencedChange(target, changeOf(request), w.expectedRelease);
    if (out.outcome === 'newer-change-there')
      return {
        fenced: `${workloadRef(w)} carries release ${out.release ?? '(none)'}, not the expected ${w.expectedRelease ?? '(none)'}`,
      };
    if (out.outcome === 'applied') {
      this.counters.patches++;
      return {
        ...target,
        outcome: 'applied',
        generation: out.generation,
        resourceVersion: out.resourceVersion,
      };
    }
    return { ...target, outcome: 'running', generation: 0, resourceVersion: '' };
  }

  async status(request: RolloutRequest, handle: RolloutHandle, signal?: AbortSignal): Promise<RolloutStatus> {
    const ref = decodeK8sHandle(handle);
    if (!ref)
      return {
        kind: 'failed',
        transient: false,
        reason: `unreadable rollout handle: ${handle.value.slice(0, 200)}`,
      };
    if (ref.fenced !== undefined)
      return { kind: 'fenced', reason: ref.fenced, logs: `fence: ${ref.fenced}\n` };
    if (ref.failed !== undefined)
      return { kind: 'failed', transient: false, reason: ref.failed, logs: `${ref.failed}\n` };
    const client = await this.client(request, signal);
    if (!(client instanceof K8sClient))
      return client.transient
        ? { kind: 'unknown', reason: client.reason }
        : { kind: 'failed', transient: false, reason: client.reason };
    try {
      return await this.progress.statusOf(client, request, handle.value, ref);
    } catch (e) {
      if (!(e instanceof K8sApiError)) throw e;
      if (e.kind === 'unauthorized') this.opts.onUnauthorized?.(request.cluster);
      if (e.kind === 'network' || e.kind === 'server' || e.kind === 'throttled')
        return { kind: 'unknown', reason: e.message };
      return { kind: 'failed', transient: false, reason: e.message };
    }
  }
}

/** The JSON patches start() sends (dry runs record this); container indexes as configured. */
export function describeK8sChange(request: RolloutRequest): string {
  const change = changeOf(request);
  return request.workloads
    .map((w) => {
      const patch = buildFencedPatch({
        target: w,
        containerIndex: w.containerIndex ?? 0,
        change,
        expectedRelease: w.expectedRelease,
      });
      return `PATCH /apis/apps/v1/namespaces/${w.namespace}/${WORKLOAD_RESOURCE[w.kind]}/${w.name} (application/json-patch+json, unless it already runs ${change.digest}) ${JSON.stringify(patch)}`;
    })
    .join('\n');
}

export function createK8sExecutor(opts: K8sExecutorOptions): K8sExecutor {
  const executor = new KubernetesApiExecutor(opts);
  return {
    start: (request, signal) => executor.start(request, signal),
    status: (request, handle, signal) => executor.status(request, handle, signal),
    describe: (request) => {
      try {
        return describeK8sChange(request);
      } catch (e) {
        return `invalid rollout input: ${errorMessage(e)}`;
      }
    },
    stats: () => ({ ...executor.counters }),
  };
}
