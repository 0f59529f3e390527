// Every reason a region rollout can carry: a stable machine-readable code (for tests, alerts and
// the status API) and the human text built from it. The state machine takes its reasons only
// from here, so a code never drifts from the text that goes with it.

/** A higher version that runs or is pending in the region (src/core/rollout/supersession.ts). */
export interface HigherVersionHere {
  releaseId: string;
  version: string;
  /** `running`, or that release's rollout state there. */
  here: string;
}

export const REASON_CODES = [
  'created',
  'superseded',
  'workloads-already-newer',
  'older-version',
  'halted',
  'replica-present-webhook',
  'replica-present-check',
  'replica-absent',
  'replica-unknown',
  'replica-check-failed',
  'replication-timed-out',
  'waiting-for-wave',
  'waiting-for-workload-lock',
  'waiting-for-newer-release',
  'start-claimed',
  'start-accepted',
  'rolling-out',
  'outcome-unknown',
  'succeeded',
  'attempt-failed-retrying',
  'start-unconfirmed-retrying',
  'rollout-overdue-retrying',
  'attempts-exhausted',
  'failed-permanent',
  'cluster-busy-retrying',
  'cluster-busy-exhausted',
  'dry-run',
  'reverting',
  'reverted',
  'revert-failed',
  'waiting-for-verification',
  'push-rejected',
  'arm-error-retrying',
  'arm-error-exhausted',
  'start-ambiguous',
  'start-resent',
  'newer-change-present',
  'start-resends-exhausted',
  'awaiting-approval',
  'paused-by',
  'held',
  'canceled',
  'rejected-digest',
  'operator-retry',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  readonly code: ReasonCode;
  readonly text: string;
}

/** The codes a failed attempt retries under: each names what went wrong with the attempt. */
export type RetryCode = 'attempt-failed-retrying' | 'start-unconfirmed-retrying' | 'rollout-overdue-retrying';

/** Why an attempt failed, and the code it retries under if it may. */
export interface FailureCause {
  readonly text: string;
  readonly retryCode: RetryCode;
}

const reason = (code: ReasonCode, text: string): Reason => ({ code, text });

const UNCONFIRMED_START: FailureCause = {
  text: 'the start of this attempt was never confirmed (instance stopped mid-start)',
  retryCode: 'start-unconfirmed-retrying',
};

export const CAUSES = {
  /** The executor reported the failure (its own words). */
  reported: (text: string): FailureCause => ({ text, retryCode: 'attempt-failed-retrying' }),
  unconfirmedStart: UNCONFIRMED_START,
  noOutcome: (timeoutSeconds: number): FailureCause => ({
    text: `no outcome within rolloutTimeoutSeconds (${timeoutSeconds}s)`,
    retryCode: 'rollout-overdue-retrying',
  }),
};

export const REASONS = {
  created: reason('created', 'waiting for the replica to hold the digest'),
  supersededBy: (releaseId: string) => reason('superseded', `superseded by newer release ${releaseId}`),
  workloadsAlreadyNewer: (skipReasons: readonly string[]) =>
    reason(
      'workloads-already-newer',
      `every workload already runs this or a newer release (${skipReasons.join('; ')})`,
    ),
  /** order semver: each workload runs, or has pending, a higher version pushed before this one. */
  olderVersion: (version: string | undefined, higher: readonly HigherVersionHere[]) => {
    const where = new Set(higher.map((h) => `${h.version} (release ${h.releaseId}, ${h.here} here)`));
    return reason(
      'older-version',
      `skipped: version ${version ?? '?'} is older than ${[...where].join(', ')}`,
    );
  },
  /** The wave gate's own words (which earlier region failed, and how). */
  halted: (gateReason: string) => reason('halted', gateReason),
  // The two replica-present reasons hold only within one step: the ready rollout goes on at once
  // to wait for its wave or a lock, or to claim its start, and that reason replaces them.
  replicaPresentWebhook: reason('replica-present-webhook', 'replica holds the digest (regional webhook)'),
  replicaPresentCheck: reason('replica-present-check', 'replica holds the digest (manifest check)'),
  replicaAbsent: reason('replica-absent', 'waiting for the replica to hold the digest (not there yet)'),
  replicaUnknown: reason(
    'replica-unknown',
    'waiting for the replica (its status is unknown right now; regional webhook or next check)',
  ),
  replicaCheckFailed: (cause: string) =>
    reason('replica-check-failed', `waiting for the replica: check failed: ${cause}`),
  replicationTimedOut: (timeoutSeconds: number) =>
    reason('replication-timed-out', `replica did not hold the digest within ${timeoutSeconds}s`),
  /** The wave gate's own words (an earlier wave still running, or its bake time). */
  waitingForWave: (gateReason: string) => reason('waiting-for-wave', gateReason),
  waitingForLock: (releaseId: string, workload: string) =>
    reason('waiting-for-workload-lock', `waiting for release ${releaseId} to finish changing ${workload}`),
  waitingForNewer: (releaseId: string, tag: string, state: string) =>
    reason(
      'waiting-for-newer-release',
      `waiting for newer release ${releaseId} (${tag || 'by digest'}), ${state} here: ` +
        'it takes over once it rolls out here, this release goes ahead if it ends without',
    ),
  startClaimed: (attempt: number) => reason('start-claimed', `starting attempt ${attempt}`),
  startAccepted: (attempt: number, commandId: string | undefined) =>
    reason('start-accepted', `rolling out (attempt ${attempt}${commandId ? `, command ${commandId}` : ''})`),
  rollingOut: (attempt: number) => reason('rolling-out', `rolling out (attempt ${attempt})`),
  outcomeUnknown: (why: string) => reason('outcome-unknown', `rolling out; outcome unknown for now: ${why}`),
  succeeded: reason('succeeded', 'rollout succeeded'),
  retrying: (cause: FailureCause, attempt: number, maxAttempts: number, waitSeconds: number) =>
    reason(
      cause.retryCode,
      `attempt ${attempt} of ${maxAttempts} failed, retrying in ${Math.round(waitSeconds)}s: ${cause.text}`,
    ),
  attemptsExhausted: (attempts: number, cause: FailureCause) =>
    reason('attempts-exhausted', `failed after ${attempts} attempts: ${cause.text}`),
  failedPermanent: (cause: FailureCause) => reason('failed-permanent', `failed: ${cause.text}`),
  clusterBusyRetrying: (waitSeconds: number, why: string) =>
    reason('cluster-busy-retrying', `cluster busy, retrying in ${Math.round(waitSeconds)}s: ${why}`),
  clusterBusyExhausted: (refusals: number, why: string) =>
    reason('cluster-busy-exhausted', `failed: cluster refused ${refusals} starts: ${why}`),
  dryRun: reason('dry-run', 'dry run: the command was recorded, not run'),
  /** onFailure revert: the failure, and the release the workloads go back to. */
  reverting: (failure: string, to: string, commandId?: string) =>
    reason(
      'reverting',
      `${failure}; reverting to release ${to}${commandId ? ` (command ${commandId})` : ''}`,
    ),
  reverted: (failure: string, to: string) => reason('reverted', `${failure}; reverted to release ${to}`),
  revertFailed: (failure: string, to: string, why: string) =>
    reason('revert-failed', `${failure}; revert to release ${to} failed: ${why}`),
  waitingForVerification: (why: string | undefined) =>
    reason(
      'waiting-for-verification',
      `waiting for the registry to confirm the push before the first rollout${why ? ` (${why})` : ''}`,
    ),
  armErrorRetrying: (waitSeconds: number, errors: number, max: number, deadline: string, why: string) =>
    reason(
      'arm-error-retrying',
      `ARM error ${errors} of ${max} (until ${deadline}), retrying in ${Math.round(waitSeconds)}s: ${why}`,
    ),
  armErrorExhausted: (errors: number, budget: string, why: string) =>
    reason(
      'arm-error-exhausted',
      `failed: ARM errors exhausted the budget (${errors} errors; ${budget}): ${why}`,
    ),
  pushRejected: (why: string | undefined) =>
    reason('push-rejected', `rejected: the registry does not hold this push${why ? ` (${why})` : ''}`),
  startAmbiguous: (attempt: number, why: string, waitSeconds: number) =>
    reason(
      'start-ambiguous',
      `attempt ${attempt}: the start may have reached the cluster (${why}); the claim is kept and the same fenced change is re-sent in ${Math.round(waitSeconds)}s`,
    ),
  startResent: (attempt: number, resend: number) =>
    reason('start-resent', `attempt ${attempt}: re-sending the same fenced change (re-send ${resend})`),
  newerChangePresent: (why: string) =>
    reason('newer-change-present', `not applied: a newer change is already on the workload (${why})`),
  startResendsExhausted: (resends: number) =>
    reason(
      'start-resends-exhausted',
      `failed: the start stayed unconfirmed after ${resends} re-sends of the fenced change`,
    ),
  awaitingApproval: (wave: number) => reason('awaiting-approval', `waiting for approval of wave ${wave}`),
  pausedBy: (actor: string, at: string, why: string | undefined) =>
    reason('paused-by', `paused by ${actor} at ${at}${why ? `: ${why}` : ''}`),
  /** `what`: the region, or the workload key in it. */
  held: (what: string, actor: string, why: string | undefined) =>
    reason('held', `held: ${what} by ${actor}${why ? `: ${why}` : ''}`),
  canceled: (actor: string, why: string | undefined) =>
    reason('canceled', `canceled by ${actor}${why ? `: ${why}` : ''}`),
  /** `rejection`: who rejected the digest for the repository, when and why. */
  rejectedDigest: (rejection: string) => reason('rejected-digest', `not rolled out: ${rejection}`),
  operatorRetry: (actor: string, from: string, why: string | undefined) =>
    reason('operator-retry', `retried by ${actor} (was ${from})${why ? `: ${why}` : ''}`),
};
