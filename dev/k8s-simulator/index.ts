// A Kubernetes API server simulator for one region's cluster, on loopback HTTP. Time is
// simulated: nothing progresses until advance(ms) (or POST /_control/advance) moves the clock,
// so tests are deterministic. The replica view is pluggable (replicaHas) so the ACR simulator
// can decide which digests this region can pull.
import { Controllers } from './controllers';
import { PodKubelet, type PodTimings } from './pods';
import { ApiServer } from './server';
import type { Identity } from './status';
import { K8sStore, type JsonObject } from './store';
import { makeServerTls } from './tls';

export type { AccessRule, Identity } from './status';
export type { JsonObject } from './store';

export interface K8sSimulatorOptions {
  identities: Identity[];
  /** Default: every digest can be pulled. */
  replicaHas?: (digest: string, image: string) => boolean;
  badDigests?: Iterable<string>;
  /** DaemonSet pods go to each node. Default two nodes. */
  nodes?: string[];
  timings?: Partial<PodTimings>;
  /** Simulated epoch start (ms). */
  startMs?: number;
  port?: number;
  /** Serve HTTPS with a fresh self-signed certificate (default true; kubectl needs it for tokens). */
  tls?: boolean;
}

export interface WorkloadSeed {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
  containers: Array<{ name: string; image: string }>;
  replicas?: number;
  annotations?: Record<string, string>;
  progressDeadlineSeconds?: number;
}

export interface PatchRecord {
  resource: string;
  namespace: string;
  name: string;
  user: string;
  generation: number;
  release: string | undefined;
  /** Wall-clock time (Date.now()) the patch was applied. */
  at: number;
}

const RESOURCE_OF = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
} as const;

export class K8sSimulator {
  readonly store: K8sStore;
  private clockMs: number;
  private readonly controllers: Controllers;
  private readonly api: ApiServer;
  readonly badDigests: Set<string>;
  replicaHas: (digest: string, image: string) => boolean;
  url = '';
  /** Fault switches for tests: statuses the next API requests get instead of an answer. */
  readonly faults: number[] = [];
  /** Applied PATCHes whose answer is then lost (connection reset). */
  dropPatchAnswers = 0;
  /** Called just before a PATCH applies, e.g. to let a concurrent writer win. */
  beforePatch: ((resource: string, namespace: string, name: string) => void) | undefined;
  /** PEM of the CA to trust when tls is on. */
  ca: string | undefined;
  /** Every accepted PATCH of a workload, in order: who, what, and the release annotation after it. */
  readonly patchLog: PatchRecord[] = [];

  constructor(private readonly options: K8sSimulatorOptions) {
    this.clockMs = options.startMs ?? Date.now();
    this.store = new K8sStore(() => this.clockMs);
    this.badDigests = new Set(options.badDigests ?? []);
    this.replicaHas = options.replicaHas ?? (() => true);
    const kubelet = new PodKubelet(this.store, {
      replicaHas: (d, i) => this.replicaHas(d, i),
      badDigests: this.badDigests,
      timings: { podReadyMs: 2000, pullBackoffMs: 1000, crashAfterMs: 1000, ...options.timings },
    });
    this.controllers = new Controllers(this.store, kubelet, options.nodes ?? ['node-1', 'node-2']);
    this.api = new ApiServer(this.store, {
      identities: () => this.options.identities,
      afterWrite: () => this.controllers.reconcileAll(),
      advance: (ms) => this.advance(ms),
      nextFault: () => this.faults.shift(),
      beforePatch: (r, ns, name) => this.beforePatch?.(r, ns, name),
      dropPatchAnswer: () => this.dropPatchAnswers > 0 && this.dropPatchAnswers-- > 0,
      afterPatch: (resource, namespace, name, user, after) => {
        const m = (after.metadata ?? {}) as JsonObject;
        const annotations = (m.annotations ?? {}) as Record<string, string>;
        this.patchLog.push({
          resource,
          namespace,
          name,
          user,
          generation: Number(m.generation ?? 0),
          release: annotations['acr-geo-rollout/release'],
          at: Date.now(),
        });
      },
    });
  }

  async start(): Promise<string> {
    const tls = this.options.tls === false ? undefined : makeServerTls();
    this.ca = tls?.ca;
    this.url = await this.api.listen(this.options.port ?? 0, tls);
    return this.url;
  }

  async stop(): Promise<void> {
    this.stopClock();
    await this.api.close();
  }

  private ticker: NodeJS.Timeout | undefined;

  /** Lets simulated time follow wall time (dev stack, demo): every intervalMs, advance intervalMs × speed. */
  runClock(intervalMs = 250, speed = 1): void {
    this.stopClock();
    this.ticker = setInterval(() => this.advance(intervalMs * speed), intervalMs);
    this.ticker.unref();
  }

  stopClock(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  now(): number {
    return this.clockMs;
  }

  /** Moves simulated time forward in steps so every controller step is observed. */
  advance(ms: number, stepMs = 500): void {
    const end = this.clockMs + ms;
    this.controllers.reconcileAll();
    while (this.clockMs < end) {
      this.clockMs = Math.min(end, this.clockMs + stepMs);
      this.controllers.reconcileAll();
    }
  }

  /** Creates a workload and lets it settle (pods ready) unless settle is false. */
  seed(w: WorkloadSeed, settle = true): JsonObject {
    const labels = { app: w.name };
    const kindSpec: JsonObject =
      w.kind === 'Deployment'
        ? {
            replicas: w.replicas ?? 2,
            progressDeadlineSeconds: w.progressDeadlineSeconds ?? 600,
            strategy: { type: 'RollingUpdate' },
          }
        : w.kind === 'StatefulSet'
          ? { replicas: w.replicas ?? 2, serviceName: w.name, updateStrategy: { type: 'RollingUpdate' } }
          : { updateStrategy: { type: 'RollingUpdate' } };
    const obj = this.store.create(RESOURCE_OF[w.kind], {
      metadata: {
        name: w.name,
        namespace: w.namespace,
        labels,
        ...(w.annotations ? { annotations: w.annotations } : {}),
      },
      spec: {
        ...kindSpec,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: w.containers.map((c) => ({ ...c, imagePullPolicy: 'IfNotPresent' })) },
        },
      },
      status: {},
    });
    if (settle) this.advance(10_000);
    else this.controllers.reconcileAll();
    return this.workload(w.kind, w.namespace, w.name) ?? obj;
  }

  workload(kind: WorkloadSeed['kind'], namespace: string, name: string): JsonObject | undefined {
    return this.store.get(RESOURCE_OF[kind], namespace, name);
  }

  /** Writes annotations directly, as another writer would (for race tests). */
  annotate(
    kind: WorkloadSeed['kind'],
    namespace: string,
    name: string,
    annotations: Record<string, string>,
  ): void {
    const obj = this.workload(kind, namespace, name);
    if (!obj) throw new Error(`no ${kind} ${namespace}/${name}`);
    const m = obj.metadata as JsonObject;
    m.annotations = { ...(m.annotations as Record<string, string> | undefined), ...annotations };
    this.store.update(RESOURCE_OF[kind], obj);
  }

  /** The image a workload's container is specified to run. */
  imageOf(
    kind: WorkloadSeed['kind'],
    namespace: string,
    name: string,
    container: string,
  ): string | undefined {
    const spec = this.workload(kind, namespace, name)?.spec as JsonObject | undefined;
    const containers = ((spec?.template as JsonObject | undefined)?.spec as JsonObject | undefined)
      ?.containers;
    const c = (containers as Array<{ name: string; image: string }> | undefined)?.find(
      (x) => x.name === container,
    );
    return c?.image;
  }
}
