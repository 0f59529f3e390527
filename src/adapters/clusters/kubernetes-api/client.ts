// The product's few calls to a cluster's Kubernetes API: read a workload (its progress is read
// from it), apply the fenced change (src/core/rollout/fence.ts), and list the pods of the new
// revision to detect a stuck rollout. A failed fence test is an outcome ("a newer change is already
// there"), not an error.
import {
  buildFencedPatch,
  containerIndexOf,
  fencedImage,
  releaseAnnotationOf,
  runsDigest,
  type FenceChange,
  type FenceTarget,
  type WorkloadLike,
  type PodView,
  type WorkloadStatusView,
} from '../../../core/rollout';
import type { WorkloadKind } from '../../../core/model';
import {
  DEFAULT_K8S_HTTP,
  K8sApiError,
  k8sRequest,
  type K8sCallContext,
  type K8sConnection,
  type K8sHttpOptions,
} from './http';

/** The API's resource (plural, lower case) of each workload kind. */
export const WORKLOAD_RESOURCE: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

/** `namespace/resource/name`, as messages and the executor's logs name a workload. */
export function workloadRef(w: { namespace: string; kind: WorkloadKind; name: string }): string {
  return `${w.namespace}/${WORKLOAD_RESOURCE[w.kind]}/${w.name}`;
}

export interface K8sObject extends WorkloadLike, WorkloadStatusView {
  metadata?: {
    name?: string;
    namespace?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string> | null;
  };
  spec?: WorkloadLike['spec'] & { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
}

export type FencedOutcome =
  | { outcome: 'applied'; resourceVersion: string; generation: number }
  /** The container already runs the digest: nothing was patched. */
  | { outcome: 'already-running'; release: string | undefined }
  /** The fence did not match: someone (a newer release) changed the workload since. */
  | { outcome: 'newer-change-there'; release: string | undefined };

function workloadPath(kind: WorkloadKind, namespace: string, name?: string): string {
  const base = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${WORKLOAD_RESOURCE[kind]}`;
  return name ? `${base}/${encodeURIComponent(name)}` : base;
}

function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export class K8sClient {
  constructor(
    private readonly conn: K8sConnection,
    private readonly http: K8sHttpOptions = DEFAULT_K8S_HTTP,
  ) {}

  private ctx(
    verb: K8sCallContext['verb'],
    resource: string,
    namespace: string,
    name?: string,
  ): K8sCallContext {
    return { verb, resource, group: resource === 'pods' ? '' : 'apps', namespace, ...(name ? { name } : {}) };
  }

  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<K8sObject> {
    return k8sRequest<K8sObject>(
      this.conn,
      {
        method: 'GET',
        path: workloadPath(kind, namespace, name),
        ctx: this.ctx('get', WORKLOAD_RESOURCE[kind], namespace, name),
      },
      this.http,
    );
  }

  /**
   * Reads the workload, and unless its container already runs the digest or the fence is
   * already known to fail, sends the fenced patch. A 422 is then checked against the object:
   * the fence lost (a newer change), or our own earlier attempt already applied (a retried
   * request whose first answer was lost); anything else is a real rejection.
   */
  async applyFencedChange(
    target: FenceTarget,
    change: FenceChange,
    expectedRelease: string | undefined,
    attempt = 1,
  ): Promise<FencedOutcome> {
    const current = await this.getWorkload(target.kind, target.namespace, target.name);
    const observed = releaseAnnotationOf(current);
    if (runsDigest(current, target.container, change.digest))
      return { outcome: 'already-running', release: observed };
    if (observed !== expectedRelease) return { outcome: 'newer-change-there', release: observed };
    const containerIndex = containerIndexOf(current, target.container);
    if (containerIndex === undefined)
      throw new K8sApiError(
        `${target.kind} "${target.name}" in namespace "${target.namespace}" has no container "${target.container}"`,
        'not-found',
        404,
        1,
      );
    const patch = buildFencedPatch({
      target,
      containerIndex,
      change,
      expectedRelease,
      annotationsMapPresent: current.metadata?.annotations != null,
    });
    const ctx = this.ctx('patch', WORKLOAD_RESOURCE[target.kind], target.namespace, target.name);
    try {
      const res = await k8sRequest<K8sObject>(
        this.conn,
        {
          method: 'PATCH',
          path: workloadPath(target.kind, target.namespace, target.name),
          body: JSON.stringify(patch),
          contentType: 'application/json-patch+json',
          ctx,
        },
        this.http,
      );
      return {
        outcome: 'applied',
        resourceVersion: res.metadata?.resourceVersion ?? '',
        generation: res.metadata?.generation ?? 0,
      };
    } catch (err) {
      if (!(err instanceof K8sApiError) || err.kind !== 'invalid') throw err;
      const outcome = await this.explainRejection(target, change, err);
      // Expecting absence on an object that had no annotations map: someone added other
      // annotations in between (the map test failed, ours is still absent). Once more, fenced
      // on the annotation itself now that the map exists.
      if (outcome === 'retry' && attempt < 2)
        return this.applyFencedChange(target, change, expectedRelease, attempt + 1);
      if (outcome === 'retry') throw err;
      return outcome;
    }
  }

  private async explainRejection(
    target: FenceTarget,
    change: FenceChange,
    err: K8sApiError,
  ): Promise<FencedOutcome | 'retry'> {
    const now = await this.getWorkload(target.kind, target.namespace, target.name);
    const release = releaseAnnotationOf(now);
    const image = now.spec?.template?.spec?.containers?.find((c) => c.name === target.container)?.image;
    if (release === change.releaseId && image === fencedImage(change))
      return {
        outcome: 'applied',
        resourceVersion: now.metadata?.resourceVersion ?? '',
        generation: now.metadata?.generation ?? 0,
      };
    if (release !== undefined && release !== change.releaseId)
      return { outcome: 'newer-change-there', release };
    // Ours is still absent but the object changed under the test (an annotations map appeared,
    // the container list moved): worth one fresh read.
    if (release === undefined) return 'retry';
    throw err;
  }

  private async listPods(namespace: string, selector: string): Promise<PodView[]> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`;
    const list = await k8sRequest<{ items?: PodView[] }>(
      this.conn,
      { method: 'GET', path, ctx: this.ctx('list', 'pods', namespace) },
      this.http,
    );
    return list.items ?? [];
  }

  /** The pods of the workload's newest revision (empty while the controller has not made them). */
  async newRevisionPods(kind: WorkloadKind, workload: K8sObject, container: string): Promise<PodView[]> {
    const namespace = workload.metadata?.namespace ?? '';
    const labels = workload.spec?.selector?.matchLabels ?? {};
    if (kind === 'Deployment') {
      const hash = await this.newReplicaSetHash(namespace, workload, labels);
      return hash ? this.listPods(namespace, selectorString({ ...labels, 'pod-template-hash': hash })) : [];
    }
    if (kind === 'StatefulSet') {
      const rev = (workload as { status?: { updateRevision?: string } }).status?.updateRevision;
      return rev
        ? this.listPods(namespace, selectorString({ ...labels, 'controller-revision-hash': rev }))
        : [];
    }
    // DaemonSet status names no revision: the new pods are those whose container runs the spec's image.
    const image = workload.spec?.template?.spec?.containers?.find((c) => c.name === container)?.image;
    const pods = await this.listPods(namespace, selectorString(labels));
    return pods.filter((p) =>
      (p as { spec?: { containers?: Array<{ name?: string; image?: string }> } }).spec?.containers?.some(
        (c) => c.name === container && c.image === image,
      ),
    );
  }

  /** The new ReplicaSet is the one with the Deployment's revision annotation. */
  private async newReplicaSetHash(
    namespace: string,
    d: K8sObject,
    labels: Record<string, string>,
  ): Promise<string | undefined> {
    const revision = d.metadata?.annotations?.['deployment.kubernetes.io/revision'];
    if (!revision) return undefined;
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets?labelSelector=${encodeURIComponent(selectorString(labels))}`;
    const list = await k8sRequest<{ items?: K8sObject[] }>(
      this.conn,
      { method: 'GET', path, ctx: this.ctx('list', 'replicasets', namespace) },
      this.http,
    );
    const rs = (list.items ?? []).find(
      (r) => r.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision,
    );
    return rs?.metadata?.labels?.['pod-template-hash'];
  }
}
