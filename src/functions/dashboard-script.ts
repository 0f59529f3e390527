// The status page's one inline script: the client pieces joined inside one function scope, with
// the state names and their meanings passed in as JSON (data, never markup).
import type { RegionRolloutState } from '../core/model';
import { CLIENT_ACTIONS } from './dashboard-client-actions';
import { CLIENT_BASE } from './dashboard-client-base';
import { CLIENT_GRID } from './dashboard-client-grid';
import { CLIENT_LEDGER } from './dashboard-client-ledger';
import { CLIENT_MAIN } from './dashboard-client-main';
import { CLIENT_TIMELINE } from './dashboard-client-timeline';
import { CLIENT_VIEWS } from './dashboard-client-views';

/** States issue 12 adds (operator actions); drawn as soon as the API reports them. */
type IssueTwelveState = 'awaiting-approval' | 'canceled';

/** What each state means, for the legend (and the order it is drawn in). */
export const STATE_HELP: Record<RegionRolloutState | IssueTwelveState, string> = {
  'waiting-for-replica': 'the region’s replica does not hold the digest yet',
  'replica-ready': 'the replica holds it; waiting for its wave',
  'rolling-out': 'the cluster is rolling it out',
  succeeded: 'the workloads run this digest',
  failed: 'the rollout failed (see the reason)',
  superseded: 'a newer release took over before this one started',
  'replication-timed-out': 'the replica never held it in time',
  halted: 'an earlier wave failed, so this one did not start',
  'dry-run': 'dry run: the command was recorded, not run',
  rejected: 'the registry does not hold this push, so nothing ran',
  reverting: 'it failed; putting the workloads back on their last good release',
  'awaiting-approval': 'its wave needs an operator’s approval (Approve wave)',
  canceled: 'an operator canceled it before it started',
};

export function dashboardScript(): string {
  const states = Object.keys(STATE_HELP);
  return [
    '(function () {',
    "  'use strict';",
    `  var STATES = ${JSON.stringify(states)};`,
    `  var HELP = ${JSON.stringify(STATE_HELP)};`,
    CLIENT_BASE,
    CLIENT_GRID,
    CLIENT_LEDGER,
    CLIENT_TIMELINE,
    CLIENT_VIEWS,
    CLIENT_ACTIONS,
    CLIENT_MAIN,
    '})();',
  ].join('\n');
}
