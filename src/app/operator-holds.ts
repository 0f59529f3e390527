// Holds on a region or one workload in it (issue 12): nothing starts there while the hold exists
// (the rollouts wait, "held: ..."); lifting it nudges the active releases that target the region,
// so the newest pending one proceeds at once. Also the audit trail's listing.
import { randomBytes } from 'node:crypto';
import { workloadKey } from '../core/model';
import type { Hold } from '../core/operator';
import type { Deps } from './deps';
import type { Logger } from './logger';
import {
  applied,
  badRequest,
  notFound,
  nudgeReleases,
  refused,
  type ActionInput,
  type ActionResult,
} from './operator-actions';

export const HOLD_ID_PATTERN = /^h-[0-9a-f]{16}$/;

/** The active releases with a rollout in the region (what a lifted hold lets go on). */
async function activeIn(deps: Deps, region: string): Promise<string[]> {
  const active = await deps.store.listActiveReleases();
  return active.filter((a) => (a.targets[region] ?? []).length > 0).map((a) => a.releaseId);
}

export async function placeHold(
  deps: Deps,
  log: Logger,
  body: { region: string; workload?: string | undefined },
  input: ActionInput,
): Promise<ActionResult> {
  const { region, workload } = body;
  const regions = deps.config.regions.map((r) => r.name);
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
  const target = { region, detail: workload };
  const existing = (await deps.store.listHolds()).find((h) => h.region === region && h.workload === workload);
  if (existing)
    return refused(
      deps,
      log,
      'hold',
      input,
      target,
      `${workload ?? region} is already held (hold ${existing.id} by ${existing.actor})`,
    );
  const hold: Hold = {
    id: `h-${randomBytes(8).toString('hex')}`,
    region,
    workload,
    reason: input.reason,
    actor: input.actor,
    at: deps.clock.now().toISOString(),
  };
  await deps.store.putHold(hold);
  // The rollouts there say "held" at once (nothing starts: the nudge claims nothing held).
  await nudgeReleases(deps, await activeIn(deps, region), log);
  return applied(deps, log, 'hold', input, target, 201, hold);
}

export async function liftHold(
  deps: Deps,
  log: Logger,
  id: string,
  input: ActionInput,
): Promise<ActionResult> {
  const removed = HOLD_ID_PATTERN.test(id) ? await deps.store.deleteHold(id) : undefined;
  if (!removed) return notFound(`no hold ${JSON.stringify(id)}`);
  await nudgeReleases(deps, await activeIn(deps, removed.region), log);
  return applied(deps, log, 'unhold', input, { region: removed.region, detail: removed.workload }, 200, {
    hold: removed,
  });
}

export async function listHolds(deps: Deps): Promise<ActionResult> {
  return { kind: 'ok', status: 200, body: { holds: await deps.store.listHolds() } };
}
