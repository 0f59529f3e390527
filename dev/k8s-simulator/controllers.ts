// The workload controllers, one step per reconcile: a Deployment template change makes a new
// ReplicaSet (pod-template-hash) whose pods replace the old ones once all are ready; a
// StatefulSet or DaemonSet replaces one pod at a time while the others are ready. Status is
// written the way the real controllers write it (observedGeneration, updated/ready/available
// counts, the Progressing condition with NewReplicaSetAvailable or ProgressDeadlineExceeded).
import { ownerRef, type PodKubelet } from './pods';
import { K8sStore, meta, shortHash, type JsonObject, str } from './store';

type Labels = Record<string, string>;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function podsOwnedBy(store: K8sStore, ns: string, ownerUid: unknown): JsonObject[] {
  return store
    .list('pods', ns)
    .filter((p) => ((meta(p).ownerReferences ?? []) as JsonObject[]).some((o) => o.uid === ownerUid));
}

function refreshAll(kubelet: PodKubelet, pods: JsonObject[]): number {
  let ready = 0;
  for (const p of pods) if (kubelet.refresh(str(meta(p).namespace), str(meta(p).name))) ready++;
  return ready;
}

function specReplicas(obj: JsonObject): number {
  const r = (obj.spec as JsonObject).replicas;
  return typeof r === 'number' ? r : 1;
}

export class Controllers {
  /** Per workload: when it last made progress (a new revision, a pod becoming ready). */
  private readonly progressAt = new Map<string, { at: number; ready: number; revision: string }>();

  constructor(
    private readonly store: K8sStore,
    private readonly kubelet: PodKubelet,
    private readonly nodes: string[],
  ) {}

  reconcileAll(): void {
    for (const d of this.store.list('deployments')) this.deployment(d);
    for (const s of this.store.list('statefulsets')) this.statefulSet(s);
    for (const d of this.store.list('daemonsets')) this.daemonSet(d);
  }

  private progressed(key: string, ready: number, revision: string): number {
    const prev = this.progressAt.get(key);
    if (!prev || prev.revision !== revision || ready > prev.ready) {
      this.progressAt.set(key, { at: this.store.now(), ready, revision });
      return this.store.now();
    }
    return prev.at;
  }

  private deployment(d: JsonObject): void {
    const m = meta(d);
    const ns = str(m.namespace);
    const spec = d.spec as JsonObject;
    const template = spec.template as JsonObject;
    const hash = shortHash(template);
    const rsName = `${str(m.name)}-${hash}`;
    const replicas = specReplicas(d);
    const allRs = this.store.list('replicasets', ns).filter((rs) => {
      return ((meta(rs).ownerReferences ?? []) as JsonObject[]).some((o) => o.uid === m.uid);
    });
    let newRs = allRs.find((rs) => meta(rs).name === rsName);
    const revisionOf = (rs: JsonObject) =>
      Number(((meta(rs).annotations ?? {}) as Labels)['deployment.kubernetes.io/revision'] ?? 0);
    if (!newRs) {
      const revision = Math.max(0, ...allRs.map(revisionOf)) + 1;
      const labels = { ...((template.metadata as JsonObject)?.labels as Labels), 'pod-template-hash': hash };
      newRs = this.store.create('replicasets', {
        metadata: {
          name: rsName,
          namespace: ns,
          labels,
          annotations: { 'deployment.kubernetes.io/revision': String(revision) },
          ownerReferences: [ownerRef('Deployment', d)],
        },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: { ...template, metadata: { ...(template.metadata as JsonObject), labels } },
        },
        status: { replicas: 0, observedGeneration: 1 },
      });
      const fresh = this.store.get('deployments', ns, str(m.name)) ?? d;
      const fm = meta(fresh);
      fm.annotations = {
        ...(fm.annotations as Labels),
        'deployment.kubernetes.io/revision': String(revision),
      };
      this.store.update('deployments', fresh);
    }
    const newPods = this.ensurePods(newRs, replicas, 'pod-template-hash', hash, 'ReplicaSet');
    const newReady = refreshAll(this.kubelet, newPods);
    const oldRs = allRs.filter((rs) => meta(rs).name !== rsName);
    if (newReady >= replicas) this.scaleDown(oldRs);
    const oldPods = oldRs.flatMap((rs) => podsOwnedBy(this.store, ns, meta(rs).uid));
    const oldReady = refreshAll(this.kubelet, oldPods);
    this.writeRsStatus(newRs, newPods.length, newReady);
    const latest = this.store.get('deployments', ns, str(m.name));
    if (latest) this.deploymentStatus(latest, rsName, newPods.length, newReady, oldPods.length, oldReady);
  }

  private ensurePods(
    owner: JsonObject,
    want: number,
    label: string,
    hash: string,
    kind: string,
  ): JsonObject[] {
    const om = meta(owner);
    const ns = str(om.namespace);
    const pods = podsOwnedBy(this.store, ns, om.uid);
    for (let i = pods.length; i < want; i++) {
      const name = `${str(om.name)}-${shortHash([om.uid, i]).slice(0, 5)}`;
      this.kubelet.create(
        ns,
        name,
        (owner.spec as JsonObject).template as JsonObject,
        { [label]: hash },
        ownerRef(kind, owner),
      );
    }
    return podsOwnedBy(this.store, ns, om.uid);
  }

  private scaleDown(oldRs: JsonObject[]): void {
    for (const rs of oldRs) {
      for (const p of podsOwnedBy(this.store, str(meta(rs).namespace), meta(rs).uid))
        this.kubelet.remove(str(meta(p).namespace), str(meta(p).name));
      (rs.spec as JsonObject).replicas = 0;
      rs.status = { replicas: 0, observedGeneration: meta(rs).generation ?? 1 };
      this.store.update('replicasets', rs);
    }
  }

  private writeRsStatus(rs: JsonObject, replicas: number, ready: number): void {
    const fresh = this.store.get('replicasets', str(meta(rs).namespace), str(meta(rs).name));
    if (!fresh) return;
    fresh.status = {
      replicas,
      fullyLabeledReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: meta(fresh).generation ?? 1,
    };
    this.store.update('replicasets', fresh);
  }

  private deploymentStatus(
    d: JsonObject,
    rsName: string,
    updated: number,
    newReady: number,
    old: number,
    oldReady: number,
  ) {
    const m = meta(d);
    const spec = d.spec as JsonObject;
    const replicas = specReplicas(d);
    const key = `deployments/${str(m.namespace)}/${str(m.name)}`;
    const available = newReady + oldReady;
    const complete = updated >= replicas && newReady >= replicas && old === 0;
    const progressAt = this.progressed(key, newReady, rsName);
    const deadlineMs = Number(spec.progressDeadlineSeconds ?? 600) * 1000;
    const prev = ((d.status as JsonObject | undefined)?.conditions ?? []) as JsonObject[];
    const prevProg = prev.find((c) => c.type === 'Progressing');
    let progressing: JsonObject;
    if (complete)
      progressing = {
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
      };
    else if (this.store.now() - progressAt > deadlineMs)
      progressing = {
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${rsName}" has timed out progressing.`,
      };
    else
      progressing = {
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: `ReplicaSet "${rsName}" is progressing.`,
      };
    const same = prevProg?.reason === progressing.reason;
    const now = iso(this.store.now());
    d.status = {
      observedGeneration: m.generation ?? 1,
      replicas: updated + old,
      updatedReplicas: updated,
      readyReplicas: available,
      availableReplicas: available,
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions: [
        {
          type: 'Available',
          status: available >= replicas ? 'True' : 'False',
          reason: available >= replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message:
            available >= replicas
              ? 'Deployment has minimum availability.'
              : 'Deployment does not have minimum availability.',
        },
        {
          type: 'Progressing',
          ...progressing,
          lastUpdateTime: same ? (prevProg?.lastUpdateTime ?? now) : now,
          lastTransitionTime: same ? (prevProg?.lastTransitionTime ?? now) : now,
        },
      ],
    };
    this.store.update('deployments', d);
  }

  /** One pod at a time (highest ordinal first for StatefulSets) while the others are ready. */
  private rolling(
    owner: JsonObject,
    kind: string,
    slots: string[],
    revision: string,
  ): { updated: number; ready: number; total: number } {
    const om = meta(owner);
    const ns = str(om.namespace);
    const template = (owner.spec as JsonObject).template as JsonObject;
    const existing = podsOwnedBy(this.store, ns, om.uid);
    for (const slot of slots)
      if (!existing.some((p) => meta(p).name === slot))
        this.kubelet.create(
          ns,
          slot,
          template,
          { 'controller-revision-hash': revision },
          ownerRef(kind, owner),
        );
    let pods = podsOwnedBy(this.store, ns, om.uid);
    let ready = refreshAll(this.kubelet, pods);
    const rev = (p: JsonObject) => ((meta(p).labels ?? {}) as Labels)['controller-revision-hash'];
    const stale = pods
      .filter((p) => rev(p) !== revision)
      .sort((a, b) => str(meta(b).name).localeCompare(str(meta(a).name)));
    const victim = stale[0];
    if (victim && ready === pods.length) {
      this.kubelet.remove(ns, str(meta(victim).name));
      this.kubelet.create(
        ns,
        str(meta(victim).name),
        template,
        { 'controller-revision-hash': revision },
        ownerRef(kind, owner),
      );
      pods = podsOwnedBy(this.store, ns, om.uid);
      ready = refreshAll(this.kubelet, pods);
    }
    return { updated: pods.filter((p) => rev(p) === revision).length, ready, total: pods.length };
  }

  private statefulSet(s: JsonObject): void {
    const m = meta(s);
    const replicas = specReplicas(s);
    const revision = `${str(m.name)}-${shortHash((s.spec as JsonObject).template)}`;
    const slots = Array.from({ length: replicas }, (_, i) => `${str(m.name)}-${i}`);
    const { updated, ready, total } = this.rolling(s, 'StatefulSet', slots, revision);
    const fresh = this.store.get('statefulsets', str(m.namespace), str(m.name));
    if (!fresh) return;
    const prev = (fresh.status ?? {}) as JsonObject;
    const done = updated === replicas && ready === replicas;
    const currentRevision = done || prev.currentRevision === undefined ? revision : prev.currentRevision;
    fresh.status = {
      observedGeneration: m.generation ?? 1,
      replicas: total,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: currentRevision === revision ? updated : total - updated,
      updatedReplicas: updated,
      currentRevision,
      updateRevision: revision,
      collisionCount: 0,
    };
    this.store.update('statefulsets', fresh);
  }

  private daemonSet(d: JsonObject): void {
    const m = meta(d);
    const revision = shortHash((d.spec as JsonObject).template);
    const slots = this.nodes.map((n) => `${str(m.name)}-${shortHash([m.uid, n]).slice(0, 5)}`);
    const { updated, ready } = this.rolling(d, 'DaemonSet', slots, revision);
    const fresh = this.store.get('daemonsets', str(m.namespace), str(m.name));
    if (!fresh) return;
    const desired = this.nodes.length;
    fresh.status = {
      observedGeneration: m.generation ?? 1,
      desiredNumberScheduled: desired,
      currentNumberScheduled: desired,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      ...(desired - ready > 0 ? { numberUnavailable: desired - ready } : {}),
      updatedNumberScheduled: updated,
    };
    this.store.update('daemonsets', fresh);
  }
}
