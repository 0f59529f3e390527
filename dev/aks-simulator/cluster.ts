// One simulated AKS cluster: its workloads (containers, images, annotations) and rollouts whose
// image pulls fail while the region's replica lacks the digest, as a real kubelet's would.
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKLOAD_KINDS, parseAksResourceId, type WorkloadKind } from '../../src/core/model/names';
import { RELEASE_ANNOTATION } from '../../src/core/rollout/fence';
import type { Json } from '../k8s-simulator/patch';
import type { KubernetesApiAccess } from './kubectl-runner';

export interface SimContainer {
  name: string;
  image: string;
}

export interface SimWorkloadConfig {
  namespace: string;
  kind: WorkloadKind;
  name: string;
  containers: SimContainer[];
}

export interface SimClusterConfig {
  resourceId: string;
  region: string;
  aadManaged?: boolean;
  disableRunCommand?: boolean;
  workloads: SimWorkloadConfig[];
  /**
   * Run scripts with the real sh + kubectl against this Kubernetes API (the region's
   * dev/k8s-simulator) instead of the in-process executor; the workloads then live there.
   */
  kubernetesApi?: KubernetesApiAccess | undefined;
}

/** Does region R's replica hold repository@digest? May ask another process, hence async. */
export type ReplicaHolds = (region: string, repository: string, digest: string) => boolean | Promise<boolean>;

export interface PullRecord {
  cluster: string;
  region: string;
  time: string;
  workload: string;
  image: string;
  ok: boolean;
  reason?: string | undefined;
  /** The workload's release annotation when the pull started (a fenced patch sets it first). */
  release?: string | undefined;
}

export interface RolloutTimings {
  /** How long a rollout whose pulls succeed takes. */
  rolloutMs: number;
  /** How long until a rollout whose pull fails is reported as failed (stands for the timeout). */
  pullFailureDelayMs: number;
}

interface Rollout {
  image: string;
  settlesAt: number;
  ok: boolean;
  message?: string | undefined;
}

export interface SimWorkloadState {
  namespace: string;
  kind: WorkloadKind;
  name: string;
  containers: SimContainer[];
  annotations: Record<string, string>;
  rollout: 'complete' | 'progressing' | 'failed';
}

class SimWorkload {
  readonly containers: SimContainer[];
  readonly annotations: Record<string, string> = {};
  /** Whether metadata.annotations exists (a JSON patch can tell an empty map from none). */
  hasAnnotationsMap = false;
  rollout: Rollout | undefined;
  constructor(readonly config: SimWorkloadConfig) {
    this.containers = config.containers.map((c) => ({ ...c }));
  }
  get key(): string {
    return `${this.config.namespace}/${this.config.kind}/${this.config.name}`;
  }
}

export class ContainerNotFound extends Error {
  constructor(container: string) {
    super(`unable to find container named "${container}"`);
  }
}

/** A replica view that never answers must not keep stop() waiting. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('simulator stopped'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('simulator stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** `host/repo@sha256:...` -> repository and digest; undefined for tag references. */
export function parseDigestReference(image: string): { repository: string; digest: string } | undefined {
  const m = /^[^/]+\/(.+)@(sha256:[a-f0-9]{64})$/.exec(image);
  return m?.[1] && m[2] ? { repository: m[1], digest: m[2] } : undefined;
}

export class SimCluster {
  readonly name: string;
  readonly region: string;
  readonly resourceId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  aadManaged: boolean;
  disableRunCommand: boolean;
  readonly kubernetesApi: KubernetesApiAccess | undefined;
  private readonly workloads = new Map<string, SimWorkload>();

  constructor(
    config: SimClusterConfig,
    private readonly deps: {
      replicaHolds: ReplicaHolds;
      timings: () => RolloutTimings;
      recordPull: (p: PullRecord) => void;
      signal: AbortSignal;
    },
  ) {
    const id = parseAksResourceId(config.resourceId);
    if (!id) throw new Error(`not an AKS resource id: ${config.resourceId}`);
    this.name = id.name;
    this.subscriptionId = id.subscriptionId;
    this.resourceGroup = id.resourceGroup;
    this.resourceId = config.resourceId;
    this.region = config.region;
    this.aadManaged = config.aadManaged ?? false;
    this.disableRunCommand = config.disableRunCommand ?? false;
    this.kubernetesApi = config.kubernetesApi;
    for (const w of config.workloads) {
      if (!(WORKLOAD_KINDS as readonly string[]).includes(w.kind)) throw new Error(`unknown kind ${w.kind}`);
      const sw = new SimWorkload(w);
      this.workloads.set(sw.key, sw);
    }
  }

  find(namespace: string, kind: WorkloadKind, name: string): SimWorkload | undefined {
    return this.workloads.get(`${namespace}/${kind}/${name}`);
  }

  snapshot(): SimWorkloadState[] {
    const now = Date.now();
    return [...this.workloads.values()].map((w) => ({
      namespace: w.config.namespace,
      kind: w.config.kind,
      name: w.config.name,
      containers: w.containers.map((c) => ({ ...c })),
      annotations: { ...w.annotations },
      rollout:
        !w.rollout || (w.rollout.ok && w.rollout.settlesAt <= now)
          ? 'complete'
          : w.rollout.settlesAt > now
            ? 'progressing'
            : 'failed',
    }));
  }

  /** kubectl set image: changes the template and starts a rollout that pulls the new image. */
  async setImage(w: SimWorkload, container: string, image: string): Promise<void> {
    const c = w.containers.find((x) => x.name === container);
    if (!c) throw new ContainerNotFound(container);
    if (c.image === image) {
      // Unchanged template: no new rollout. But as in Kubernetes, the kubelet keeps retrying a
      // failed pull with back-off, so once the replica holds the digest the pods come up: a
      // failed pull of this same image is pulled again (a retry of it then succeeds).
      const r = w.rollout;
      if (!r || r.ok || r.image !== image || r.settlesAt > Date.now()) return;
    }
    c.image = image;
    const timings = this.deps.timings();
    const ref = parseDigestReference(image);
    let ok = true;
    let reason: string | undefined;
    if (ref) {
      try {
        ok = await untilAborted(
          Promise.resolve(this.deps.replicaHolds(this.region, ref.repository, ref.digest)),
          this.deps.signal,
        );
        if (!ok)
          reason = `manifest unknown: ${ref.repository}@${ref.digest} is not in the ${this.region} replica`;
      } catch (e) {
        if (this.deps.signal.aborted) throw e; // the simulator is stopping
        ok = false;
        reason = `replica view unavailable: ${(e as Error).message}`;
      }
    }
    this.deps.recordPull({
      cluster: this.name,
      region: this.region,
      time: new Date().toISOString(),
      workload: `${w.key}/${container}`,
      image,
      ok,
      reason,
      release: w.annotations[RELEASE_ANNOTATION],
    });
    w.rollout = {
      image,
      ok,
      settlesAt: Date.now() + (ok ? timings.rolloutMs : timings.pullFailureDelayMs),
      message: ok ? undefined : `Failed to pull image "${image}": ${reason ?? 'not found'}; ImagePullBackOff`,
    };
  }

  /** The object as a JSON patch sees it (annotations and the pod template's containers). */
  jsonView(w: SimWorkload): Json {
    return {
      metadata:
        Object.keys(w.annotations).length > 0 || w.hasAnnotationsMap
          ? { annotations: { ...w.annotations } }
          : {},
      spec: { template: { spec: { containers: w.containers.map((c) => ({ ...c })) } } },
    };
  }

  /** Writes a patched JSON view back: annotations as they are, each changed image as set image would. */
  async applyJsonView(w: SimWorkload, view: Json): Promise<void> {
    const v = view as {
      metadata?: { annotations?: Record<string, string> | null };
      spec?: { template?: { spec?: { containers?: SimContainer[] } } };
    };
    const containers = v.spec?.template?.spec?.containers ?? [];
    if (
      containers.length !== w.containers.length ||
      containers.some((c, i) => c.name !== w.containers[i]?.name)
    )
      throw new Error('the simulator supports patches that change container images only');
    const annotations = v.metadata?.annotations ?? {};
    for (const k of Object.keys(w.annotations)) if (!(k in annotations)) delete w.annotations[k];
    Object.assign(w.annotations, annotations);
    w.hasAnnotationsMap = v.metadata?.annotations != null;
    for (const c of containers) await this.setImage(w, c.name, c.image);
  }

  annotate(w: SimWorkload, key: string, value: string, overwrite: boolean): void {
    const existing = w.annotations[key];
    if (existing !== undefined && existing !== value && !overwrite)
      throw new Error(
        `--overwrite is false but found the following declared annotation(s): '${key}' already has a value (${existing})`,
      );
    w.annotations[key] = value;
    w.hasAnnotationsMap = true;
  }

  /** kubectl rollout status: waits for the current rollout; resolves to its outcome. */
  async rolloutStatus(w: SimWorkload): Promise<{ ok: boolean; message?: string | undefined }> {
    const r = w.rollout;
    if (!r) return { ok: true };
    const wait = r.settlesAt - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.deps.signal });
    return { ok: r.ok, message: r.message };
  }
}
