// Pause, resume and approve a wave of one release (issue 12): each changes the release record
// (ETag-guarded), is audited, and nudges the release so its regions move at once.
import type { Release } from '../core/model';
import { PENDING_STATES } from '../core/operator';
import type { ReleaseAmendment } from '../core/store';
import type { Deps } from './deps';
import { getReleaseWrittenOut } from './materialize-release';
import type { Logger } from './logger';
import {
  applied,
  notFound,
  nudgeReleases,
  refused,
  type ActionInput,
  type ActionResult,
} from './operator-actions';
import { getReleaseView } from './status-releases';

type Decide = (r: Release) => { conflict: string } | { patch: ReleaseAmendment };

/** Amends the release if `decide` allows it; the conflict (409) is decided on the record written. */
async function amendOrRefuse(
  deps: Deps,
  id: string,
  decide: Decide,
): Promise<{ kind: 'missing' } | { kind: 'conflict'; message: string } | { kind: 'ok' }> {
  let conflict: string | undefined;
  const amend = () =>
    deps.store.amendRelease(id, (r) => {
      const d = decide(r);
      conflict = 'conflict' in d ? d.conflict : undefined;
      return 'patch' in d ? d.patch : undefined;
    });
  let written = await amend();
  // A release only claimed so far is written out, then amended (its id is what the webhook answered).
  if (!written && (await getReleaseWrittenOut(deps, id))) written = await amend();
  if (!written) return { kind: 'missing' };
  return conflict ? { kind: 'conflict', message: conflict } : { kind: 'ok' };
}

const isDone = (r: Release) => r.status === 'done';

async function releaseAction(
  deps: Deps,
  log: Logger,
  action: 'pause' | 'resume' | 'approve',
  id: string,
  input: ActionInput,
  decide: Decide,
  wave?: number,
): Promise<ActionResult> {
  const target = { releaseId: id, wave };
  const out = await amendOrRefuse(deps, id, decide);
  if (out.kind === 'missing') return notFound(`no release ${JSON.stringify(id)}`);
  if (out.kind === 'conflict') return refused(deps, log, action, input, target, out.message);
  await nudgeReleases(deps, [id], log);
  return applied(deps, log, action, input, target, 200, { release: await getReleaseView(deps, id) });
}

export function pauseRelease(deps: Deps, log: Logger, id: string, input: ActionInput): Promise<ActionResult> {
  const at = deps.clock.now().toISOString();
  return releaseAction(deps, log, 'pause', id, input, (r) => {
    if (isDone(r)) return { conflict: `release ${r.id} is done: nothing left to pause` };
    if (r.paused)
      return {
        conflict: `release ${r.id} is already paused (by ${r.pausedBy ?? '?'} at ${r.pausedAt ?? '?'})`,
      };
    return { patch: { paused: true, pausedBy: input.actor, pausedAt: at, pauseReason: input.reason } };
  });
}

export function resumeRelease(
  deps: Deps,
  log: Logger,
  id: string,
  input: ActionInput,
): Promise<ActionResult> {
  return releaseAction(deps, log, 'resume', id, input, (r) => {
    if (!r.paused) return { conflict: `release ${r.id} is not paused` };
    return { patch: { paused: undefined, pausedBy: undefined, pausedAt: undefined, pauseReason: undefined } };
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
  const release = await getReleaseWrittenOut(deps, id);
  if (!release) return notFound(`no release ${JSON.stringify(id)}`);
  const rollouts = await deps.store.listRollouts(id, release.regions);
  const inWave = rollouts.filter((r) => r.wave === wave);
  return releaseAction(
    deps,
    log,
    'approve',
    id,
    input,
    (r) => {
      if (!waves.includes(wave))
        return { conflict: `wave ${wave} needs no approval (policy.approvalWaves is [${waves.join(', ')}])` };
      if (inWave.length === 0) return { conflict: `release ${r.id} has no region in wave ${wave}` };
      if ((r.approvedWaves ?? []).includes(wave))
        return { conflict: `wave ${wave} of release ${r.id} is already approved` };
      if (isDone(r) || !inWave.some((x) => PENDING_STATES.has(x.state)))
        return { conflict: `wave ${wave} of release ${r.id} has no pending region to approve` };
      return { patch: { approvedWaves: [...(r.approvedWaves ?? []), wave].sort((a, b) => a - b) } };
    },
    wave,
  );
}
