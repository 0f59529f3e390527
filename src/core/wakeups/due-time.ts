// When a release next needs the reconciler: the earliest due time of its unfinished rollouts
// (each rollout's nextCheckAt already holds poll intervals, back-off, bake time and the replica
// re-check), and the queue message that carries it. Pure: no clock, no I/O.
import { isTerminal, type RegionRollout, isRepository } from '../model';
import { RELEASE_ID_PATTERN } from '../intake';
import type { Wakeup } from '../model';

/** Seven days: the longest visibility delay Azure Storage Queues accept. */
export const MAX_VISIBILITY_SECONDS = 7 * 24 * 60 * 60;

/**
 * The earliest due time among unfinished rollouts, never earlier than `floor` (so a run that
 * left something overdue, e.g. after a storage error, does not wake itself in a tight loop).
 * Undefined when every rollout has ended: nothing to wake for.
 */
export function nextDue(rollouts: readonly RegionRollout[], floor: Date): Date | undefined {
  const dues = rollouts
    .filter((r) => !isTerminal(r.state))
    .map((r) => Date.parse(r.nextCheckAt))
    .filter((t) => Number.isFinite(t));
  if (dues.length === 0) return undefined;
  return new Date(Math.max(Math.min(...dues), floor.getTime()));
}

/** The visibility delay of a wake-up: whole seconds from now to due, within [0, 7 days]. */
export function visibilitySeconds(due: Date, now: Date): number {
  const s = Math.ceil((due.getTime() - now.getTime()) / 1000);
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, s));
}

/** The message text: base64 of the JSON (the queue trigger's default messageEncoding). */
export function encodeWakeup(w: Wakeup): string {
  const body = w.repository === undefined ? { releaseId: w.releaseId, due: w.due } : { ...w };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

export type ParsedWakeup = { ok: true; wakeup: Wakeup } | { ok: false; problem: string };

/**
 * A wake-up as the trigger hands it over: the host decodes base64 and parses JSON, so it is an
 * object; a string is accepted as JSON or as base64 of JSON (a host with messageEncoding none).
 */
export function parseWakeup(message: unknown): ParsedWakeup {
  let value = message;
  if (typeof value === 'string') value = parseText(value);
  if (typeof value !== 'object' || value === null) return { ok: false, problem: 'not a JSON object' };
  const { releaseId, due, repository } = value as {
    releaseId?: unknown;
    due?: unknown;
    repository?: unknown;
  };
  if (typeof releaseId !== 'string' || !RELEASE_ID_PATTERN.test(releaseId))
    return { ok: false, problem: 'releaseId: missing or not a release id' };
  if (typeof due !== 'string' || !Number.isFinite(Date.parse(due)))
    return { ok: false, problem: 'due: missing or not an ISO-8601 time' };
  if (repository === undefined) return { ok: true, wakeup: { releaseId, due } };
  if (typeof repository !== 'string' || !isRepository(repository))
    return { ok: false, problem: 'repository: not a repository name' };
  return { ok: true, wakeup: { releaseId, due, repository } };
}

function parseText(text: string): unknown {
  for (const candidate of [text, Buffer.from(text, 'base64').toString('utf8')]) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // try the next reading
    }
  }
  return undefined;
}

/**
 * The queue's name, derived from ROLLOUT_TABLE_PREFIX (contract): the prefix in lower case plus
 * `-work` (queue names are 3-63 lower-case letters, digits and hyphens). Poison: `<name>-poison`.
 */
export function wakeQueueName(tablePrefix: string): string {
  return `${tablePrefix.toLowerCase()}-work`;
}
