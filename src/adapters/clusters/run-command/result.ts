// Reading a Run Command result. The SDK resolves any 200 as success, even with
// provisioningState "failed", so the outcome is decided here from provisioningState AND
// exitCode: only "succeeded" with exit code 0 is a successful rollout.
import type { RunCommandResult } from '@azure/arm-containerservice';
import type { RolloutStatus } from '../../../core/model';

export const LOGS_TAIL_BYTES = 32 * 1024;
const REASON_MAX_CHARS = 600;

/** The last maxBytes of text as UTF-8, never starting mid-character. */
export function tailUtf8(text: string, maxBytes = LOGS_TAIL_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++; // skip continuation bytes
  return bytes.subarray(start).toString('utf8');
}

/** The last few non-empty log lines: where kubectl prints its error. */
export function lastLines(text: string, count = 4): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const tail = lines.slice(-count).join(' | ');
  return tail.length > REASON_MAX_CHARS ? `…${tail.slice(-REASON_MAX_CHARS)}` : tail;
}

/** undefined is the SDK's answer to a 202: the command is still running. */
export function interpretCommandResult(result: RunCommandResult | undefined): RolloutStatus {
  if (result === undefined) return { kind: 'running' };
  const state = (result.provisioningState ?? '').toLowerCase();
  const logs = result.logs !== undefined ? tailUtf8(result.logs) : undefined;
  if (state === 'succeeded') {
    if (result.exitCode === 0) return { kind: 'succeeded', logs };
    const tail = logs ? lastLines(logs) : '';
    const reason =
      result.exitCode === undefined
        ? `command finished without an exit code${tail ? `: ${tail}` : ''}`
        : `kubectl exited with code ${result.exitCode}${tail ? `: ${tail}` : ''}`;
    return { kind: 'failed', reason, logs, transient: false };
  }
  if (state === 'failed' || state === 'canceled') {
    if (result.exitCode !== undefined && result.exitCode !== 0) {
      const tail = logs ? lastLines(logs) : '';
      const why = result.reason ? ` (${result.reason})` : '';
      return {
        kind: 'failed',
        reason: `kubectl exited with code ${result.exitCode}${why}${tail ? `: ${tail}` : ''}`,
        logs,
        transient: false,
      };
    }
    // No exit code: the command pod never ran the script (not scheduled, image pull of the
    // command pod, canceled), so running it again is safe.
    return {
      kind: 'failed',
      reason: `Run Command ${state}: ${result.reason ?? (logs ? lastLines(logs) : 'no reason given')}`,
      logs,
      transient: true,
      notRun: true,
    };
  }
  return { kind: 'running' };
}
