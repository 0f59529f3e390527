// Roll back: a new release of an older release's repository, tag and digest, with
// pushedAt now (newer than everything, so rule 4 holds: an explicit rollback is a new push). It
// goes through the waves like any push; the digest was verified before, and each region's replica
// readiness comes from its regional webhook record or the regional manifest check.
import { randomInt } from 'node:crypto';
import { versionOf, type Release, type ReleaseStore } from '../../core/model';
import { makeReleaseId, activeEntryOf, initialRollouts, planTargets } from '../../core/intake';
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
import { getReleaseView } from '../status';

/** Later than now and than every release of the repository (its clock may run ahead of ours). */
async function rollbackTime(
  deps: Deps<Pick<ReleaseStore, 'listReleases'>>,
  repository: string,
): Promise<string> {
  const now = deps.clock.now().getTime();
  const { releases } = await deps.store.listReleases({ repository, limit: 1 });
  const newest = releases[0] ? Date.parse(releases[0].pushedAt) + 1 : 0;
  return new Date(Math.max(now, newest)).toISOString();
}

export async function rollBack(
  deps: Deps,
  log: Logger,
  body: { releaseId: string; regions?: readonly string[] | undefined },
  input: ActionInput,
): Promise<ActionResult> {
  const older = await deps.store.getRelease(body.releaseId);
  if (!older) return notFound(`no release ${JSON.stringify(body.releaseId)}`);
  const all = planTargets(deps.config.regions, deps.config.workloads, older.repository, older.tag);
  const unknown = (body.regions ?? []).filter((g) => !(g in all));
  if (unknown.length > 0)
    return badRequest('regions', `${unknown.join(', ')} not targeted by ${older.repository}:${older.tag}`);
  const targets = Object.fromEntries(
    Object.entries(all).filter(([g]) => !body.regions || body.regions.includes(g)),
  );
  const target = { releaseId: older.id };
  return audited(deps, log, 'rollback', input, target, async () => {
    if (await deps.store.getRejection(older.repository, older.digest))
      return refusal(`digest ${older.digest} of ${older.repository} is rejected; lift the rejection first`);
    if (older.verification === 'rejected' || older.verification === 'unverified')
      return refusal(`release ${older.id} was never verified against the registry (${older.verification})`);
    if (Object.keys(targets).length === 0)
      return refusal(`no configured workload watches ${older.repository}:${older.tag}`);

    const now = deps.clock.now();
    const pushedAt = await rollbackTime(deps, older.repository);
    const id = makeReleaseId({ ...older, pushedAt, generation: randomInt(1, 2 ** 47) });
    const version = versionOf(older.tag);
    const release: Release = {
      id,
      repository: older.repository,
      tag: older.tag,
      digest: older.digest,
      pushedAt,
      // Its version is the older one's; rollbackOf exempts it from the semver order (the way down).
      ...(version ? { version } : {}),
      mediaType: older.mediaType,
      source: 'operator',
      createdAt: now.toISOString(),
      status: 'active',
      regions: Object.keys(targets),
      verification: 'verified',
      verifiedAt: now.toISOString(),
      rollbackOf: older.id,
    };
    await deps.store.ensureRelease(
      release,
      initialRollouts(release, targets, deps.config.regions, now),
      activeEntryOf(release, targets),
    );
    return appliedWith(202, async () => ({ release: await getReleaseView(deps, id) }), {
      detail: `new release ${id}`,
      nudge: [id],
    });
  });
}
