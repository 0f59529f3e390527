// Pods as a kubelet would report them, computed from the simulated clock: an image pinned to a
// digest the region's replica lacks fails to pull (ErrImagePull, then ImagePullBackOff, and
// recovers once the replica has it); a digest marked bad starts and then crash-loops; anything
// else becomes ready after the configured start time.
import { K8sStore, meta, type JsonObject, str } from './store';

export interface PodTimings {
  /** Pull + start until Ready. */
  podReadyMs: number;
  /** ErrImagePull until the kubelet reports ImagePullBackOff. */
  pullBackoffMs: number;
  /** Start until the first crash of a bad digest. */
  crashAfterMs: number;
}

export interface PodWorld {
  /** Whether the region's replica serves this digest (pluggable: the ACR simulator's view). */
  replicaHas: (digest: string, image: string) => boolean;
  /** Digests whose containers crash after starting. */
  badDigests: ReadonlySet<string>;
  timings: PodTimings;
}

interface PodMemory {
  createdAtMs: number;
  /** Per container: when its image was pulled. */
  pulledAtMs: Map<string, number>;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function digestOf(image: string): string | undefined {
  const at = image.lastIndexOf('@');
  return at < 0 ? undefined : image.slice(at + 1);
}

type ContainerSpec = { name: string; image: string };

export class PodKubelet {
  private readonly memory = new Map<string, PodMemory>();

  constructor(
    private readonly store: K8sStore,
    private readonly world: PodWorld,
  ) {}

  create(
    namespace: string,
    name: string,
    template: JsonObject,
    labels: Record<string, string>,
    owner: JsonObject,
  ) {
    const tmeta = (template.metadata ?? {}) as JsonObject;
    const pod: JsonObject = {
      metadata: {
        name,
        namespace,
        labels: { ...((tmeta.labels ?? {}) as Record<string, string>), ...labels },
        ownerReferences: [owner],
      },
      spec: structuredClone(template.spec ?? {}),
      status: { phase: 'Pending' },
    };
    this.memory.set(`${namespace}/${name}`, { createdAtMs: this.store.now(), pulledAtMs: new Map() });
    this.store.create('pods', pod);
    this.refresh(namespace, name);
  }

  remove(namespace: string, name: string): void {
    this.memory.delete(`${namespace}/${name}`);
    this.store.delete('pods', namespace, name);
  }

  /** Recomputes the pod's status for the current time; returns whether it is Ready. */
  refresh(namespace: string, name: string): boolean {
    const pod = this.store.get('pods', namespace, name);
    const mem = this.memory.get(`${namespace}/${name}`);
    if (!pod || !mem) return false;
    const containers = ((pod.spec as JsonObject).containers ?? []) as ContainerSpec[];
    const statuses = containers.map((c) => this.containerStatus(pod, mem, c));
    const ready = statuses.every((s) => s.ready === true);
    const now = iso(this.store.now());
    const started = statuses.some((s) => s.state !== undefined && 'running' in (s.state as JsonObject));
    const prevReady = ((pod.status as JsonObject).conditions as JsonObject[] | undefined)?.find(
      (c) => c.type === 'Ready',
    );
    const readyStatus = ready ? 'True' : 'False';
    const transition = prevReady?.status === readyStatus ? prevReady.lastTransitionTime : now;
    pod.status = {
      phase: started || ready ? 'Running' : 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(mem.createdAtMs) },
        {
          type: 'Ready',
          status: readyStatus,
          lastTransitionTime: transition ?? now,
          ...(ready ? {} : { reason: 'ContainersNotReady' }),
        },
      ],
      startTime: iso(mem.createdAtMs),
      containerStatuses: statuses,
    };
    this.store.update('pods', pod);
    return ready;
  }

  private containerStatus(pod: JsonObject, mem: PodMemory, c: ContainerSpec): JsonObject {
    const now = this.store.now();
    const { timings } = this.world;
    const digest = digestOf(c.image);
    const base = { name: c.name, image: c.image, imageID: '', started: false, ready: false };
    let pulledAt = mem.pulledAtMs.get(c.name);
    if (pulledAt === undefined) {
      if (digest !== undefined && !this.world.replicaHas(digest, c.image)) {
        const backoff = now - mem.createdAtMs >= timings.pullBackoffMs;
        const reason = backoff ? 'ImagePullBackOff' : 'ErrImagePull';
        const message = backoff
          ? `Back-off pulling image "${c.image}"`
          : `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": ${digest}: not found`;
        return { ...base, restartCount: 0, state: { waiting: { reason, message } } };
      }
      pulledAt = now;
      mem.pulledAtMs.set(c.name, now);
    }
    const running = { ...base, imageID: c.image, started: true };
    if (digest !== undefined && this.world.badDigests.has(digest)) {
      const sinceStart = now - pulledAt;
      if (sinceStart < timings.crashAfterMs)
        return { ...running, restartCount: 0, state: { running: { startedAt: iso(pulledAt) } } };
      const restarts =
        1 + Math.floor((sinceStart - timings.crashAfterMs) / Math.max(1, timings.crashAfterMs));
      const podName = str(meta(pod).name);
      const message = `back-off 10s restarting failed container=${c.name} pod=${podName}_${str(meta(pod).namespace)}(${str(meta(pod).uid)})`;
      return {
        ...running,
        started: false,
        restartCount: restarts,
        state: { waiting: { reason: 'CrashLoopBackOff', message } },
        lastState: { terminated: { exitCode: 1, reason: 'Error' } },
      };
    }
    if (now - pulledAt < timings.podReadyMs)
      return { ...running, restartCount: 0, state: { running: { startedAt: iso(pulledAt) } } };
    return { ...running, ready: true, restartCount: 0, state: { running: { startedAt: iso(pulledAt) } } };
  }
}

export function ownerRef(kind: string, obj: JsonObject): JsonObject {
  const m = meta(obj);
  return { apiVersion: 'apps/v1', kind, name: m.name ?? '', uid: m.uid ?? '', controller: true };
}
