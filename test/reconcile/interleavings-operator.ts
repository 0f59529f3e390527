// Operator steps for the interleavings property test (issue 12): retry, cancel, pause/resume,
// hold/unhold and approve, each through its real use case, alone or racing a timer tick. An
// action may be refused (409) or name a release that is gone (404); never anything else.
import fc from 'fast-check';
import type { Deps } from '../../src/app/deps';
import type { Logger } from '../../src/app/logger';
import type { ActionResult } from '../../src/app/operator-actions';
import { cancelRelease } from '../../src/app/operator-cancel';
import { liftHold, placeHold } from '../../src/app/operator-holds';
import { approveWave, pauseRelease, resumeRelease } from '../../src/app/operator-release';
import { retryRelease } from '../../src/app/operator-retry';
import type { RolloutStore } from '../../src/core/store';

const OPS = ['retry', 'retry-region', 'cancel', 'pause', 'resume', 'hold', 'unhold', 'approve'] as const;
export interface OperatorStep {
  kind: 'operator';
  op: (typeof OPS)[number];
  pick: number;
  region: number;
  withTick: boolean;
}

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const who = { actor: 'prop-test' };

export const operatorStepArb: fc.Arbitrary<OperatorStep> = fc.record({
  kind: fc.constant('operator' as const),
  op: fc.constantFrom(...OPS),
  pick: fc.nat(20),
  region: fc.nat(2),
  withTick: fc.boolean(),
});

export interface OperatorContext {
  deps: Deps;
  store: RolloutStore;
  log: Logger;
  tick: () => Promise<unknown>;
  retries: Map<string, number>;
  violations: string[];
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
      return id ? pauseRelease(deps, log, id, who) : undefined;
    case 'resume':
      return id ? resumeRelease(deps, log, id, who) : undefined;
    case 'approve':
      return id ? approveWave(deps, log, id, 1, who) : undefined;
    case 'hold':
      return placeHold(deps, log, { region }, who);
    case 'unhold': {
      const hold = (await c.store.listHolds())[0];
      return hold ? liftHold(deps, log, hold.id, who) : undefined;
    }
  }
}

export async function runOperatorStep(s: OperatorStep, c: OperatorContext): Promise<void> {
  const { releases } = await c.store.listReleases({ limit: 1000 });
  const rel = releases.length > 0 ? releases[s.pick % releases.length] : undefined;
  const id = rel?.id;
  const [result] = await Promise.all([act(s, c, rel), s.withTick ? c.tick() : undefined]);
  if (!result) return;
  if (result.kind === 'bad-request') c.violations.push(`${s.op} answered 400: ${result.message}`);
  if (result.kind === 'ok' && (s.op === 'retry' || s.op === 'retry-region')) {
    for (const region of (result.body as { retried: string[] }).retried) {
      const k = `${id}|${region}`;
      c.retries.set(k, (c.retries.get(k) ?? 0) + 1);
    }
  }
}

/** After the faults stop: the operator resumes every release, lifts every hold, approves wave 1. */
export async function settleOperatorState(deps: Deps, store: RolloutStore, log: Logger): Promise<void> {
  for (const h of await store.listHolds()) await liftHold(deps, log, h.id, who);
  for (const a of await store.listActiveReleases()) {
    const rel = await store.getRelease(a.releaseId);
    if (rel?.paused) await resumeRelease(deps, log, a.releaseId, who);
    const rollouts = rel ? await store.listRollouts(rel.id, rel.regions) : [];
    if (rollouts.some((r) => r.state === 'awaiting-approval'))
      await approveWave(deps, log, a.releaseId, 1, who);
  }
}
