// The status page's one inline script: the client pieces joined inside one function scope, with
// the state names and their meanings passed in as JSON (data, never markup).
import { REGION_ROLLOUT_STATES } from '../core/model';
import { CLIENT_BASE } from './dashboard-client-base';
import { CLIENT_GRID } from './dashboard-client-grid';
import { CLIENT_MAIN } from './dashboard-client-main';

/** What each state means, for the legend (and the order it is drawn in). */
export const STATE_HELP: Record<(typeof REGION_ROLLOUT_STATES)[number], string> = {
  'waiting-for-replica': 'the region’s replica does not hold the digest yet',
  'replica-ready': 'the replica holds it; waiting for its wave',
  'rolling-out': 'the cluster is rolling it out',
  succeeded: 'the workloads run this digest',
  failed: 'the rollout failed (see the reason)',
  superseded: 'a newer release took over before this one started',
  'replication-timed-out': 'the replica never held it in time',
  halted: 'an earlier wave failed, so this one did not start',
  'dry-run': 'dry run: the command was recorded, not run',
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
    CLIENT_MAIN,
    '})();',
  ].join('\n');
}
