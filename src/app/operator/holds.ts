// Holds on a region or one workload in it: nothing starts there while the hold exists
// (the rollouts wait, "held: ..."); lifting it nudges the active releases that target the region,
// so the newest pending one proceeds at once. One hold per scope (the region, or one workload in
// it): the store creates it only if absent, so of concurrent holds on one scope exactly one is
// placed and the others are refused naming it. Placing one changes the region's gate, which
// every start's claim there guards on (src/app/rollout/step-rollout.ts).
import { randomBytes } from 'node:crypto';
import { workloadKey, type ReleaseStore } from '../../core/model';
import type { Hold, HoldStore } from '../../core/operator';
import type { Deps, Logger } from '../platform';
import {
  appliedWith,
  audited,
  badRequest,
  notFound,
  refusal,
  type ActionInput,
  type ActionResult,
} from './action';

export const HOLD_ID_PATTERN = /^h-[0-9a-f]{16}$/;

const regionNames = (deps: Pick<Deps, 'config'>) => deps.config.regions.map((r) => r.name);

/** The active releases with a rollout in the region (what a lifted hold lets go on). */
async function activeIn(
  deps: Deps<Pick<ReleaseStore, 'listActiveReleases'>>,
  region: string,
): Promise<string[]> {
  const active = await deps.store.listActiveReleases();
  return active.filter((a) => (a.targets[region] ?? []).length > 0).map((a) => a.releaseId);
}

const scopeOf = (h: Pick<Hold, 'region' | 'workload'>) =>
  h.workload ? `${h.workload} in ${h.region}` : h.region;

export async function placeHold(
  deps: Deps,
  log: Logger,
  body: { region: string; workload?: string | undefined },
  input: ActionInput,
): Promise<ActionResult> {
  const { region, workload } = body;
  const regions = regionNames(deps);
  if (!regions.includes(region))
    return badRequest('region', `${region} is not a configured region (${regions.join(', ')})`);
  if (workload !== undefined) {
    const keys = deps.config.workloads
      .filter((w) => !w.regions || w.regions.includes(region))
      .map((w) => workloadKey(w));
    if (!keys.includes(workload))
      return badRequest(
        'workload',
        `${workload} is not a configured workload in ${region} (${keys.join(', ')})`,
      );
  }
  const hold: Hold = {
    id: `h-${randomBytes(8).toString('hex')}`,
    region,
    workload,
    reason: input.reason,
    actor: input.actor,
    at: deps.clock.now().toISOString(),
  };
  return audited(deps, log, 'hold', input, { region, detail: workload }, async () => {
    const placed = await deps.store.putHold(hold);
    if (!placed.created) {
      const e = placed.existing;
      return refusal(`${scopeOf(e)} is already held (hold ${e.id} by ${e.actor} at ${e.at})`);
    }
    // The rollouts there say "held" at once (nothing starts: the nudge claims nothing held).
    return appliedWith(201, () => hold, { nudge: () => activeIn(deps, region) });
  });
}

export async function liftHold(
  deps: Deps,
  log: Logger,
  id: string,
  input: ActionInput,
): Promise<ActionResult> {
  const hold = HOLD_ID_PATTERN.test(id)
    ? (await deps.store.listHolds(regionNames(deps))).find((h) => h.id === id)
    : undefined;
  if (!hold) return notFound(`no hold ${JSON.stringify(id)}`);
  return audited(deps, log, 'unhold', input, { region: hold.region, detail: hold.workload }, async () => {
    if (!(await deps.store.deleteHold(hold)))
      return refusal(`no hold ${JSON.stringify(id)} (lifted meanwhile)`, 404);
    return appliedWith(200, () => ({ hold }), { nudge: () => activeIn(deps, hold.region) });
  });
}

export async function listHolds(deps: Deps<Pick<HoldStore, 'listHolds'>>): Promise<ActionResult> {
  return { kind: 'ok', status: 200, body: { holds: await deps.store.listHolds(regionNames(deps)) } };
}
