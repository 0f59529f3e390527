// What went wrong with one ARM call, in words the executor can act on. The SDK throws
// RestErrors (status, code, response headers) for HTTP failures and for network failures
// (no status); aborts surface as AbortError. The mapping of a failure to the executor's
// answers (rejected start, failed or unknown status) lives here too.
import type { RolloutStartResult, RolloutStatus } from '../../../core/model';
import { parseRetryAfterSeconds, safeJson } from '../../../core/platform';

export const PERMISSION_RUN_COMMAND = 'Microsoft.ContainerService/managedClusters/runcommand/action';
export const PERMISSION_COMMAND_RESULTS = 'Microsoft.ContainerService/managedClusters/commandResults/read';
export const PERMISSION_CLUSTER_READ = 'Microsoft.ContainerService/managedClusters/read';

export type ArmFailureKind =
  | 'throttled' // 429
  | 'conflict' // 409: another operation on the cluster is in progress
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'client' // other 4xx
  | 'server' // 5xx
  | 'refused' // connection refused / DNS: the request never reached ARM
  | 'network' // the connection broke: ARM may or may not have acted
  | 'timeout'; // our deadline passed: ARM may or may not have acted

export interface ArmFailure {
  kind: ArmFailureKind;
  status?: number | undefined;
  /** ARM's error code, when the body carried one. */
  code?: string | undefined;
  message: string;
  retryAfterSeconds?: number | undefined;
}

/** Thrown by our wrappers around SDK calls, so callers see one classified failure. */
export class ArmCallError extends Error {
  constructor(readonly failure: ArmFailure) {
    super(failure.message);
    this.name = 'ArmCallError';
  }
}

const REFUSED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  response?: { headers?: { get?: (name: string) => string | undefined }; bodyAsText?: string | null };
  details?: { error?: { code?: unknown; message?: unknown } };
}

type ArmErrorBody = { code?: unknown; message?: unknown } | undefined;

function readArmError(err: ArmErrorBody): { code?: string | undefined; message?: string } | undefined {
  if (!err || typeof err.message !== 'string') return undefined;
  return { code: typeof err.code === 'string' ? err.code : undefined, message: err.message };
}

/** ARM's { error: { code, message } }, from the SDK's parsed details or the raw body. */
function bodyError(e: ErrorLike): { code?: string | undefined; message?: string } {
  const text = e.response?.bodyAsText;
  const body = typeof text === 'string' && text.length > 0 ? safeJson(text) : undefined;
  const fromBody =
    typeof body === 'object' && body !== null ? (body as { error?: ArmErrorBody }).error : undefined;
  return readArmError(e.details?.error) ?? readArmError(fromBody) ?? {};
}

export function classifyArmError(error: unknown, opts: { timedOut?: boolean } = {}): ArmFailure {
  if (error instanceof ArmCallError) return error.failure;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const rawMessage = typeof e.message === 'string' ? e.message : String(error);
  if (e.name === 'AbortError' || opts.timedOut)
    return {
      kind: 'timeout',
      message: opts.timedOut ? 'timed out waiting for ARM' : `aborted: ${rawMessage}`,
    };
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const { code: armCode, message: armMessage } = bodyError(e);
  const message = armMessage ?? rawMessage;
  const code = armCode ?? (typeof e.code === 'string' ? e.code : undefined);
  if (status === undefined) {
    const kind = code && REFUSED_CODES.has(code) ? 'refused' : 'network';
    return { kind, code, message };
  }
  const kind: ArmFailureKind =
    status === 429
      ? 'throttled'
      : status === 409
        ? 'conflict'
        : status === 401
          ? 'unauthorized'
          : status === 403
            ? 'forbidden'
            : status === 404
              ? 'not-found'
              : status >= 500
                ? 'server'
                : 'client';
  return {
    kind,
    status,
    code,
    message,
    retryAfterSeconds: parseRetryAfterSeconds(e.response?.headers?.get?.('retry-after'), Date.now()),
  };
}

/** Failures worth asking again for a read (nothing changes on the server). */
export function isTransientForRead(f: ArmFailure): boolean {
  return ['throttled', 'conflict', 'server', 'refused', 'network', 'timeout'].includes(f.kind);
}

/** Failures that prove ARM did not accept a POST, so sending it again cannot run it twice. */
export function provesNotAccepted(f: ArmFailure): boolean {
  return ['throttled', 'conflict', 'server', 'refused'].includes(f.kind);
}

export function describeFailure(f: ArmFailure): string {
  const status = f.status !== undefined ? `HTTP ${f.status}` : f.kind;
  return `${status}${f.code ? ` ${f.code}` : ''}: ${f.message}`;
}

/** A failed cluster read (GET managedCluster) before a start, as the start's answer. */
export function rejectedFromRead(f: ArmFailure, where: string): RolloutStartResult {
  switch (f.kind) {
    case 'forbidden':
      return {
        kind: 'rejected',
        transient: false,
        reason: `missing permission ${PERMISSION_CLUSTER_READ} on ${where} (${describeFailure(f)})`,
      };
    case 'not-found':
      return { kind: 'rejected', transient: false, reason: `${where} not found (${describeFailure(f)})` };
    case 'network':
    case 'timeout':
      // Only the cluster read went unanswered: no command was sent, so this is not ambiguous.
      return {
        kind: 'rejected',
        transient: true,
        reason: `no answer from ARM while reading ${where} (${describeFailure(f)})`,
      };
    default:
      return startRejection(f, where, 'reading the cluster');
  }
}

const permanent = (reason: string): RolloutStartResult => ({ kind: 'rejected', transient: false, reason });
const transient = (reason: string, retryAfterSeconds: number | undefined): RolloutStartResult => ({
  kind: 'rejected',
  transient: true,
  reason,
  retryAfterSeconds,
});

const armError = (reason: string, retryAfterSeconds: number | undefined): RolloutStartResult => ({
  kind: 'rejected',
  transient: true,
  reason,
  retryAfterSeconds,
  armError: true,
});

/** A failed step of a start (`during` says which), on `where` (e.g. "cluster rg/name"). */
export function startRejection(f: ArmFailure, where: string, during: string): RolloutStartResult {
  const detail = describeFailure(f);
  switch (f.kind) {
    case 'throttled':
      return transient(`ARM throttled ${during} on ${where} (${detail})`, f.retryAfterSeconds);
    case 'conflict':
      return transient(
        `another operation is in progress on ${where}; retry later (${detail})`,
        f.retryAfterSeconds,
      );
    case 'forbidden':
      return permanent(`missing permission ${PERMISSION_RUN_COMMAND} on ${where} (${detail})`);
    case 'not-found':
      return permanent(`${where} not found (${detail})`);
    case 'unauthorized':
      return permanent(`ARM rejected our credential while ${during} on ${where} (${detail})`);
    case 'client':
      return permanent(`ARM refused ${during} on ${where} (${detail})`);
    case 'server':
      // Not "busy": ARM failed. The command never ran (a 5xx proves it was not accepted).
      return armError(`ARM error while ${during} on ${where} (${detail})`, f.retryAfterSeconds);
    case 'refused':
      return armError(`ARM unreachable while ${during} on ${where} (${detail})`, f.retryAfterSeconds);
    case 'network':
    case 'timeout':
      // The POST may have reached ARM: not resent here; the claim is kept and the reconciler
      // re-sends the same fenced change after a bounded wait.
      return {
        kind: 'ambiguous',
        reason: `no answer from ARM while ${during} on ${where}; the command may have started (${detail})`,
      };
  }
}

/** A failed read of a command's result, as the status answer. */
export function statusFailure(f: ArmFailure, where: string, commandId: string): RolloutStatus {
  const detail = describeFailure(f);
  switch (f.kind) {
    case 'forbidden':
      return {
        kind: 'failed',
        transient: false,
        reason: `missing permission ${PERMISSION_COMMAND_RESULTS} on ${where} (${detail})`,
      };
    case 'not-found':
      // Results expire, and a deleted cluster has none: the outcome is unknowable, and
      // running the (idempotent) script again is safe.
      return {
        kind: 'failed',
        transient: true,
        reason: `result of command ${commandId} not found on ${where}: outcome unknown (${detail})`,
      };
    case 'client':
      return {
        kind: 'failed',
        transient: false,
        reason: `ARM refused reading command ${commandId} on ${where} (${detail})`,
      };
    default:
      return {
        kind: 'unknown',
        reason: `could not read command ${commandId} on ${where} (${detail})`,
        retryAfterSeconds: f.retryAfterSeconds,
      };
  }
}
