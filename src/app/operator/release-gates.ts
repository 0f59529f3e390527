// Pause, resume and approve a wave of one release: each changes the release record
// (ETag-guarded), is audited, and nudges the release so its regions move at once. A pause (and
// a resume) also marks every rollout row of the release before it answers: a start's claim is
// decided on the row it ETag-guards, so a claim racing the pause either committed before the
// mark reached its row or fails and re-reads the mark. `pausedAt` is stamped once every row is
// marked: no start is claimed after it.
import type { Release, StatusStore } from '../../core/model';
import {
  PENDING_STATES,
  markedRollout,
  pauseMark,
  type ReleaseAmendment,
  type ReleaseAmendStore,
} from '../../core/operator';
import type { RegionRolloutStore } from '../../core/rollout';
import type { Deps, Logger } from '../platform';
import { writeOutRelease } from '../intake';
import {
  appliedWith,
  audited,
  notFound,
  refusal,
  type ActionInput,
  type ActionResult,
  type Verdict,
} from './action';
import { getReleaseView } from '../status';

type Decide = (r: Release) => { conflict: string } | { patch: ReleaseAmendment };

/** Tries per rollout row of a pause mark (each lost race re-reads the row). */
const MARK_TRIES = 10;

/** Amends the release if `decide` allows it; the conflict (409) is decided on the record written. */
async function amendOrRefuse(
  deps: Deps<ReleaseAmendStore>,
  id: string,
  decide: Decide,
): Promise<{ kind: 'conflict'; message: string } | { kind: 'ok'; release: Release }> {
  let conflict: string | undefined;
  const written = await deps.store.amendRelease(id, (r) => {
    const d = decide(r);
    conflict = 'conflict' in d ? d.conflict : undefined;
    return 'patch' in d ? d.patch : undefined;
  });
  if (!written) return { kind: 'conflict', message: `no release ${JSON.stringify(id)}` };
  return conflict ? { kind: 'conflict', message: conflict } : { kind: 'ok', release: written };
}

/**
 * Puts the release's pause state on every one of its rollout rows (ETag-guarded; a lost race
 * re-reads). A row already carrying a later pause or resume keeps it, so a pause and a resume
 * racing each other leave every row as the later of the two says.
 */
async function markRollouts(deps: Deps<RegionRolloutStore>, release: Release): Promise<void> {
  const mark = pauseMark(release);
  await Promise.all(
    release.regions.map(async (region) => {
      for (let i = 0; i < MARK_TRIES; i++) {
        const r = await deps.store.getRollout(release.id, region);
        const marked = r && markedRollout(r, mark);
        if (!marked || (await deps.store.commitRegion(marked, [])).outcome === 'ok') return;
      }
      throw new Error(`${region}: the rollout kept changing while the pause was marked on it`);
    }),
  );
}

const isDone = (r: Release) => r.status === 'done';
/** The answer of each: the release as it is now. */
const withRelease = (deps: Deps<StatusStore>, id: string) => async () => ({
  release: await getReleaseView(deps, id),
});

async function releaseAction(
  deps: Deps,
  log: Logger,
  action: 'pause' | 'resume',
  id: string,
  input: ActionInput,
  change: () => Promise<Verdict>,
): Promise<ActionResult> {
  // A release only claimed so far is written out first (its id is what the webhook answered).
  if (!(await writeOutRelease(deps, { releaseId: id }))) return notFound(`no release ${JSON.stringify(id)}`);
  return audited(deps, log, action, input, { releaseId: id }, change);
}

export function pauseRelease(deps: Deps, log: Logger, id: string, input: ActionInput): Promise<ActionResult> {
  return releaseAction(deps, log, 'pause', id, input, async () => {
    let seq = 0;
    const out = await amendOrRefuse(deps, id, (r) => {
      if (isDone(r)) return { conflict: `release ${r.id} is done: nothing left to pause` };
      if (r.paused)
        return {
          conflict: `release ${r.id} is already paused (by ${r.pausedBy ?? '?'} at ${r.pausedAt ?? '?'})`,
        };
      seq = (r.pauseSeq ?? 0) + 1;
      const at = deps.clock.now().toISOString();
      return {
        patch: {
          paused: true,
          pausedBy: input.actor,
          pausedAt: at,
          pauseReason: input.reason,
          pauseSeq: seq,
        },
      };
    });
    if (out.kind === 'conflict') return refusal(out.message);
    await markRollouts(deps, out.release);
    // In effect now: every row refuses a claim. Unless a resume came first, say so from here.
    const tookEffect = deps.clock.now().toISOString();
    await deps.store.amendRelease(id, (r) =>
      r.paused && r.pauseSeq === seq ? { pausedAt: tookEffect } : undefined,
    );
    return appliedWith(200, withRelease(deps, id), { nudge: [id] });
  });
}

export function resumeRelease(
  deps: Deps,
  log: Logger,
  id: string,
  input: ActionInput,
): Promise<ActionResult> {
  return releaseAction(deps, log, 'resume', id, input, async () => {
    const out = await amendOrRefuse(deps, id, (r) => {
      if (!r.paused) return { conflict: `release ${r.id} is not paused` };
      return {
        patch: {
          paused: undefined,
          pausedBy: undefined,
          pausedAt: undefined,
          pauseReason: undefined,
          pauseSeq: (r.pauseSeq ?? 0) + 1,
        },
      };
    });
    if (out.kind === 'conflict') return refusal(out.message);
    await markRollouts(deps, out.release);
    return appliedWith(200, withRelease(deps, id), { nudge: [id] });
  });
}

export async function approveWave(
  deps: Deps,
  log: Logger,
  id: string,
  wave: number,
  input: ActionInput,
): Promise<ActionResult> {
  const waves = deps.config.policy.approvalWaves ?? [];
  const release = (await writeOutRelease(deps, { releaseId: id }))?.release;
  if (!release) return notFound(`no release ${JSON.stringify(id)}`);
  const rollouts = await deps.store.listRollouts(id, release.regions);
  const inWave = rollouts.filter((r) => r.wave === wave);
  return audited(deps, log, 'approve', input, { releaseId: id, wave }, async () => {
    const out = await amendOrRefuse(deps, id, (r) => {
      if (!waves.includes(wave))
        return { conflict: `wave ${wave} needs no approval (policy.approvalWaves is [${waves.join(', ')}])` };
      if (inWave.length === 0) return { conflict: `release ${r.id} has no region in wave ${wave}` };
      if ((r.approvedWaves ?? []).includes(wave))
        return { conflict: `wave ${wave} of release ${r.id} is already approved` };
      if (isDone(r) || !inWave.some((x) => PENDING_STATES.has(x.state)))
        return { conflict: `wave ${wave} of release ${r.id} has no pending region to approve` };
      return { patch: { approvedWaves: [...(r.approvedWaves ?? []), wave].sort((a, b) => a - b) } };
    });
    if (out.kind === 'conflict') return refusal(out.message);
    return appliedWith(200, withRelease(deps, id), { nudge: [id] });
  });
}
