// Cancel a release, and reject its digest: every pending region rollout ends canceled
// (an ETag-guarded write, so a start claimed at the same moment wins or loses cleanly: a running
// attempt finishes); a rejection also stops every later push of the digest for the repository.
import type { RegionRollout, Release, ReleaseStore } from '../../core/model';
import {
  PENDING_STATES,
  canceledRollout,
  rejectionText,
  type Rejection,
  type RejectionStore,
  type ReleaseAmendStore,
} from '../../core/operator';
import type { Reason, RegionRolloutStore } from '../../core/rollout';
import { REASONS } from '../../core/rollout';
import type { Deps, Logger } from '../platform';
import { writeOutRelease } from '../intake';
import { appliedWith, audited, notFound, refusal, type ActionInput, type ActionResult } from './action';
import { getReleaseView } from '../status';

const MAX_TRIES = 5;

/** Ends one pending rollout canceled; false when it was not (or no longer) pending. */
async function cancelOne(
  deps: Deps<RegionRolloutStore>,
  first: RegionRollout,
  reason: Reason,
): Promise<boolean> {
  let r: RegionRollout | undefined = first;
  for (let i = 0; i < MAX_TRIES && r; i++) {
    if (!PENDING_STATES.has(r.state)) return false;
    const result = await deps.store.commitRegion(canceledRollout(r, reason, deps.clock.now()), []);
    if (result.outcome === 'ok') return true;
    r = await deps.store.getRollout(r.releaseId, r.region);
  }
  return false;
}

/** The regions of the release whose pending rollout this call canceled. */
export async function cancelPending(
  deps: Deps<RegionRolloutStore>,
  release: Release,
  reason: Reason,
): Promise<string[]> {
  const rollouts = await deps.store.listRollouts(release.id, release.regions);
  const done = await Promise.all(
    rollouts.filter((r) => PENDING_STATES.has(r.state)).map((r) => cancelOne(deps, r, reason)),
  );
  return rollouts
    .filter((r) => PENDING_STATES.has(r.state))
    .filter((_, i) => done[i])
    .map((r) => r.region);
}

export async function cancelRelease(
  deps: Deps,
  log: Logger,
  id: string,
  input: ActionInput,
): Promise<ActionResult> {
  const release = (await writeOutRelease(deps, { releaseId: id }))?.release;
  if (!release) return notFound(`no release ${JSON.stringify(id)}`);
  return audited(deps, log, 'cancel', input, { releaseId: id }, async () => {
    const canceled = await cancelPending(deps, release, REASONS.canceled(input.actor, input.reason));
    if (canceled.length === 0) return refusal(`release ${id} has no pending region to cancel`);
    return appliedWith(200, async () => ({ canceled, release: await getReleaseView(deps, id) }), {
      detail: `canceled ${canceled.join(', ')}`,
      nudge: [id],
    });
  });
}

/** Stamps the rejection on the active releases of the digest (their next step cancels them). */
async function stampActive(
  deps: Deps<Pick<ReleaseStore, 'listActiveReleases'> & ReleaseAmendStore>,
  rejection: Rejection,
  text: string | undefined,
): Promise<string[]> {
  const active = await deps.store.listActiveReleases(rejection.repository);
  const same = active.filter((a) => a.digest === rejection.digest);
  await Promise.all(same.map((a) => deps.store.amendRelease(a.releaseId, () => ({ rejection: text }))));
  return same.map((a) => a.releaseId);
}

export async function rejectRelease(
  deps: Deps,
  log: Logger,
  id: string,
  input: ActionInput,
): Promise<ActionResult> {
  const release = (await writeOutRelease(deps, { releaseId: id }))?.release;
  if (!release) return notFound(`no release ${JSON.stringify(id)}`);
  const rejection: Rejection = {
    repository: release.repository,
    digest: release.digest,
    actor: input.actor,
    at: deps.clock.now().toISOString(),
    reason: input.reason,
    releaseId: id,
  };
  const target = { releaseId: id, detail: `${release.repository}@${release.digest}` };
  return audited(deps, log, 'reject', input, target, async () => {
    if ((await deps.store.putRejection(rejection)) === 'duplicate')
      return refusal(`digest ${release.digest} of ${release.repository} is already rejected`);
    const text = rejectionText(rejection);
    const stamped = await stampActive(deps, rejection, text);
    if (!stamped.includes(id)) await deps.store.amendRelease(id, () => ({ rejection: text }));
    const canceled = await cancelPending(deps, release, REASONS.rejectedDigest(text));
    return appliedWith(200, async () => ({ rejection, canceled, release: await getReleaseView(deps, id) }), {
      nudge: [...new Set([id, ...stamped])],
    });
  });
}

export async function listRejections(deps: Deps<RejectionStore>): Promise<ActionResult> {
  return { kind: 'ok', status: 200, body: { rejections: await deps.store.listRejections() } };
}

/** Lifts a rejection: later pushes of the digest roll out again. */
export async function unreject(
  deps: Deps,
  log: Logger,
  repository: string,
  digest: string,
  input: ActionInput,
): Promise<ActionResult> {
  const found = await deps.store.getRejection(repository, digest);
  if (!found) return notFound(`digest ${digest} of ${repository} is not rejected`);
  const target = { releaseId: found.releaseId, detail: `${repository}@${digest}` };
  return audited(deps, log, 'unreject', input, target, async () => {
    const removed = await deps.store.deleteRejection(repository, digest);
    if (!removed) return refusal(`digest ${digest} of ${repository} is not rejected`, 404);
    // Releases stamped but not yet canceled go on (those already canceled stay canceled).
    await stampActive(deps, removed, undefined);
    return appliedWith(200, () => ({ rejection: removed }));
  });
}
