// The rollout states the legend draws, in its order, with what each means.
import type { RegionRolloutState } from './api-types';

export const STATE_HELP: Record<RegionRolloutState, string> = {
  'waiting-for-replica': 'the region’s replica does not hold the digest yet',
  'replica-ready': 'the replica holds it; waiting for its wave',
  'rolling-out': 'the cluster is rolling it out',
  succeeded: 'the workloads run this digest',
  failed: 'the rollout failed (see the reason)',
  superseded: 'a newer release took over before this one started',
  skipped: 'an older version than the one that runs or is pending there (order semver): not rolled out',
  'replication-timed-out': 'the replica never held it in time',
  halted: 'an earlier wave failed, so this one did not start',
  'dry-run': 'dry run: the command was recorded, not run',
  rejected: 'the registry does not hold this push, so nothing ran',
  reverting: 'it failed; putting the workloads back on their last good release',
  'awaiting-approval': 'its wave needs an operator’s approval (Approve wave)',
  canceled: 'an operator canceled it before it started',
};

export const STATES = Object.keys(STATE_HELP) as RegionRolloutState[];

/** The CSS class of a state; none for a state this page does not know. */
export function stateClass(s: string): string {
  return (STATES as string[]).includes(s) ? 'st-' + s : '';
}
