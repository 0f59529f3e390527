// Operator steps for the interleavings property test: retry, cancel, pause/resume,
// hold/unhold and approve, each through its real use case, alone or racing a timer tick, and
// approve racing a pause or a hold (the approval's nudge claims starts while the gate closes).
// An action may be refused (409) or name a release that is gone (404); never anything else.
// The gates: from the moment a pause or a hold answered until its resume or lift begins, no
// start is claimed under it (GateWatch: attempts at the answer, compared before the gate opens).
import fc from 'fast-check';
import type { Deps } from '../../src/app/platform/deps';
import type { Logger } from '../../src/app/platform/logger';
import type { ActionResult } from '../../src/app/operator/action';
import { cancelRelease } from '../../src/app/operator/cancel';
import { liftHold, placeHold } from '../../src/app/operator/holds';
import { approveWave, pauseRelease, resumeRelease } from '../../src/app/operator/release-gates';
import { retryRelease } from '../../src/app/operator/retry';
import type { RolloutStore } from '../../src/core/model/store';

const OPS = [
  'retry',
  'retry-region',
  'cancel',
  'pause',
  'resume',
  'hold',
  'unhold',
  'approve',
  'approve-pause',
  'approve-hold',
] as const;
export interface OperatorStep {
  kind: 'operator';
  op: (typeof OPS)[number];
  pick: number;
  region: number;
  withTick: boolean;
  /** Event-loop turns a start's claim spends in flight to the store while approve races the gate. */
  claimLatency: number;
  /** Event-loop turns after the approval before the racing pause or hold is sent. */
  offset: number;
}

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const who = { actor: 'prop-test' };

const operatorStep = (ops: ReadonlyArray<(typeof OPS)[number]>): fc.Arbitrary<OperatorStep> =>
  fc.record({
    kind: fc.constant('operator' as const),
    op: fc.constantFrom(...ops),
    pick: fc.nat(20),
    region: fc.nat(2),
    withTick: fc.boolean(),
    claimLatency: fc.nat(400),
    offset: fc.nat(80),
  });

export const operatorStepArb = operatorStep(OPS);
/** The gates closing and opening while starts are claimed: pause, hold, their lifts, and approve racing them. */
export const gateStepArb = operatorStep([
  'approve-pause',
  'approve-hold',
  'pause',
  'resume',
  'hold',
  'unhold',
]);

const pass = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/**
 * The store with a start's claim held in flight for a number of event-loop turns before it
 * reaches the store (as a slow network would hold the transaction), so a pause or hold can
 * answer while a claim decided before it is still on its way.
 */
export function withClaimLatency(inner: RolloutStore): { store: RolloutStore; set: (turns: number) => void } {
  let latency = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop !== 'commitRegion') return fn;
      return async (...a: Parameters<RolloutStore['commitRegion']>) => {
        if (a[0].reasonCode === 'start-claimed') await pass(latency);
        return fn(...a);
      };
    },
  });
  return { store, set: (n) => (latency = n) };
}

export interface OperatorContext {
  deps: Deps;
  store: RolloutStore;
  log: Logger;
  tick: () => Promise<unknown>;
  retries: Map<string, number>;
  violations: string[];
  gates: GateWatch;
  claimLatency: (turns: number) => void;
}

/** The pauses and holds in effect, each with the attempts it found when it answered. */
export interface GateWatch {
  /** release id -> region -> attempts when the pause answered. */
  paused: Map<string, Map<string, number>>;
  /** region -> release id -> attempts when the hold answered. */
  held: Map<string, Map<string, number>>;
}
export const newGateWatch = (): GateWatch => ({ paused: new Map(), held: new Map() });

async function attemptsIn(store: RolloutStore, region: string): Promise<Map<string, number>> {
  const { releases } = await store.listReleases({ limit: 1000 });
  const found = await Promise.all(releases.map((r) => store.getRollout(r.id, region)));
  return new Map(found.filter((r) => r !== undefined).map((r) => [r.releaseId, r.attempts]));
}

/** No start claimed under a pause or hold since it answered (attempts only grow with a claim). */
export async function checkGates(store: RolloutStore, gates: GateWatch, violations: string[]): Promise<void> {
  for (const [id, before] of gates.paused) {
    const rel = await store.getRelease(id);
    for (const r of rel ? await store.listRollouts(id, rel.regions) : [])
      if (r.attempts > (before.get(r.region) ?? 0))
        violations.push(`${id} started in ${r.region} after its pause took effect (attempt ${r.attempts})`);
  }
  for (const [region, before] of gates.held)
    for (const [id, attempts] of await attemptsIn(store, region))
      if (attempts > (before.get(id) ?? 0))
        violations.push(`${id} started in ${region} after the hold there took effect (attempt ${attempts})`);
}

/** A pause, in effect from its answer on: what it found then (read at once, before anything else runs on). */
async function pauseWatched(c: OperatorContext, id: string): Promise<ActionResult> {
  const result = await pauseRelease(c.deps, c.log, id, who);
  if (result.kind === 'ok') {
    const rel = await c.store.getRelease(id);
    const rollouts = rel ? await c.store.listRollouts(id, rel.regions) : [];
    c.gates.paused.set(id, new Map(rollouts.map((r) => [r.region, r.attempts])));
  }
  return result;
}

/** A hold, in effect from its answer on: what it found then. */
async function holdWatched(c: OperatorContext, region: string): Promise<ActionResult> {
  const result = await placeHold(c.deps, c.log, { region }, who);
  if (result.kind === 'ok') c.gates.held.set(region, await attemptsIn(c.store, region));
  return result;
}

async function act(
  s: OperatorStep,
  c: OperatorContext,
  rel: { id: string; regions: string[] } | undefined,
): Promise<ActionResult | undefined> {
  const { deps, log } = c;
  const id = rel?.id;
  const region = REGIONS[s.region]!;
  switch (s.op) {
    case 'retry':
      return id ? retryRelease(deps, log, id, undefined, who) : undefined;
    case 'retry-region':
      // A region the release targets (another is a 400, which the test counts as a violation).
      return rel
        ? retryRelease(deps, log, rel.id, [rel.regions[s.region % rel.regions.length]!], who)
        : undefined;
    case 'cancel':
      return id ? cancelRelease(deps, log, id, who) : undefined;
    case 'pause':
      return id ? pauseWatched(c, id) : undefined;
    case 'resume': {
      if (!id) return undefined;
      await checkGates(c.store, c.gates, c.violations);
      const resumed = await resumeRelease(deps, log, id, who);
      if (resumed.kind === 'ok') c.gates.paused.delete(id);
      return resumed;
    }
    case 'approve':
      return id ? approveWave(deps, log, id, 1, who) : undefined;
    case 'hold':
      return holdWatched(c, region);
    case 'unhold': {
      const hold = (await c.store.listHolds(REGIONS))[0];
      if (!hold) return undefined;
      await checkGates(c.store, c.gates, c.violations);
      const lifted = await liftHold(deps, log, hold.id, who);
      if (lifted.kind === 'ok') c.gates.held.delete(hold.region);
      return lifted;
    }
    case 'approve-pause': {
      if (!id) return undefined;
      c.claimLatency(s.claimLatency);
      const [, paused] = await Promise.all([
        approveWave(deps, log, id, 1, who),
        pass(s.offset).then(() => pauseWatched(c, id)),
      ]);
      return paused;
    }
    case 'approve-hold': {
      // The release's wave-1 region: the approval's nudge would start it there.
      const target = rel?.regions.find((g) => g !== REGIONS[0]);
      if (!id || !target) return undefined;
      c.claimLatency(s.claimLatency);
      const [, held] = await Promise.all([
        approveWave(deps, log, id, 1, who),
        pass(s.offset).then(() => holdWatched(c, target)),
      ]);
      return held;
    }
  }
}

export async function runOperatorStep(s: OperatorStep, c: OperatorContext): Promise<void> {
  const { releases } = await c.store.listReleases({ limit: 1000 });
  const rel = releases.length > 0 ? releases[s.pick % releases.length] : undefined;
  const id = rel?.id;
  const [result] = await Promise.all([act(s, c, rel), s.withTick ? c.tick() : undefined]);
  c.claimLatency(0);
  if (!result) return;
  if (result.kind === 'bad-request') c.violations.push(`${s.op} answered 400: ${result.message}`);
  await checkGates(c.store, c.gates, c.violations);
  if (result.kind === 'ok' && (s.op === 'retry' || s.op === 'retry-region')) {
    for (const region of (result.body as { retried: string[] }).retried) {
      const k = `${id}|${region}`;
      c.retries.set(k, (c.retries.get(k) ?? 0) + 1);
    }
  }
}

/** After the faults stop: the operator resumes every release, lifts every hold, approves wave 1. */
export async function settleOperatorState(
  deps: Deps,
  store: RolloutStore,
  log: Logger,
  gates: GateWatch,
  violations: string[],
): Promise<void> {
  await checkGates(store, gates, violations);
  gates.paused.clear();
  gates.held.clear();
  for (const h of await store.listHolds(REGIONS)) await liftHold(deps, log, h.id, who);
  for (const a of await store.listActiveReleases()) {
    const rel = await store.getRelease(a.releaseId);
    if (rel?.paused) await resumeRelease(deps, log, a.releaseId, who);
    const rollouts = rel ? await store.listRollouts(rel.id, rel.regions) : [];
    if (rollouts.some((r) => r.state === 'awaiting-approval'))
      await approveWave(deps, log, a.releaseId, 1, who);
  }
}
