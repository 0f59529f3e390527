// The simulated cluster's object store: one resourceVersion counter for all objects (as etcd's
// revision), watchers notified on every write, and an injectable clock so status progression
// is driven by the test (advance) rather than by wall time.
import { createHash, randomUUID } from 'node:crypto';
import { clone, deepEqual, type Json } from './patch';

export type JsonObject = { [k: string]: Json };
export const RESOURCES = ['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'pods'] as const;
export type Resource = (typeof RESOURCES)[number];
export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type Listener = (type: WatchType, resource: Resource, obj: JsonObject) => void;

export const KIND_OF: Record<Resource, string> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  replicasets: 'ReplicaSet',
  pods: 'Pod',
};

export function groupOf(resource: Resource): '' | 'apps' {
  return resource === 'pods' ? '' : 'apps';
}

export function apiVersionOf(resource: Resource): string {
  return resource === 'pods' ? 'v1' : 'apps/v1';
}

/** A string field of an object, '' when it is not a string. */
export function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

export function meta(obj: JsonObject): JsonObject {
  return obj.metadata as JsonObject;
}

export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 10);
}

export class K8sStore {
  private readonly objects = new Map<string, JsonObject>();
  private readonly listeners = new Set<Listener>();
  private revision = 1000;

  constructor(readonly now: () => number) {}

  static key(resource: Resource, namespace: string, name: string): string {
    return `${resource}/${namespace}/${name}`;
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  get(resource: Resource, namespace: string, name: string): JsonObject | undefined {
    const o = this.objects.get(K8sStore.key(resource, namespace, name));
    return o ? clone(o) : undefined;
  }

  list(resource: Resource, namespace?: string): JsonObject[] {
    const out: JsonObject[] = [];
    for (const [k, o] of this.objects) {
      if (!k.startsWith(`${resource}/`)) continue;
      if (namespace !== undefined && meta(o).namespace !== namespace) continue;
      out.push(clone(o));
    }
    return out;
  }

  /** Creates the object with server-set metadata; returns the stored copy. */
  create(resource: Resource, obj: JsonObject): JsonObject {
    const m = meta(obj);
    const stored = clone(obj);
    stored.apiVersion = apiVersionOf(resource);
    stored.kind = KIND_OF[resource];
    stored.metadata = {
      ...m,
      uid: randomUUID(),
      creationTimestamp: new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
      generation: 1,
      resourceVersion: String(++this.revision),
    };
    this.objects.set(K8sStore.key(resource, str(m.namespace), str(m.name)), stored);
    this.emit('ADDED', resource, stored);
    return clone(stored);
  }

  /**
   * Writes a new version of an existing object. Bumps resourceVersion only when something
   * changed and generation only when the spec changed, as the API server does.
   */
  update(resource: Resource, next: JsonObject): JsonObject {
    const m = meta(next);
    const key = K8sStore.key(resource, str(m.namespace), str(m.name));
    const prev = this.objects.get(key);
    if (!prev) throw new Error(`update of missing ${key}`);
    const stored = clone(next);
    const pm = meta(prev);
    // Server-owned metadata cannot be changed by a client.
    const sm = meta(stored);
    for (const f of ['uid', 'creationTimestamp', 'resourceVersion', 'generation', 'name', 'namespace'])
      sm[f] = pm[f] ?? null;
    if (deepEqual(prev, stored)) return clone(prev);
    if (!deepEqual(prev.spec, stored.spec)) sm.generation = Number(pm.generation) + 1;
    sm.resourceVersion = String(++this.revision);
    this.objects.set(key, stored);
    this.emit('MODIFIED', resource, stored);
    return clone(stored);
  }

  delete(resource: Resource, namespace: string, name: string): void {
    const key = K8sStore.key(resource, namespace, name);
    const prev = this.objects.get(key);
    if (!prev) return;
    this.objects.delete(key);
    meta(prev).resourceVersion = String(++this.revision);
    this.emit('DELETED', resource, prev);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(type: WatchType, resource: Resource, obj: JsonObject): void {
    for (const l of this.listeners) l(type, resource, clone(obj));
  }
}
