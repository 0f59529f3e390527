// The webhook use case: authenticate, validate, record the delivery exactly once, claim the
// release (written out by its nudge, its queue wake-up or the timer), then nudge the reconciler for
// it within a budget that keeps the answer far inside ACR's 5-second timeout. Returns a
// transport-neutral result the HTTP trigger maps 1:1.
import { createHash } from 'node:crypto';
import { parseAcrEvent, type AcrEvent, type DeliveryRecord, type DeliveryStore } from '../../core/intake';
import { isRegion } from '../../core/model';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';
import { authenticateWebhook } from './webhook-auth';
import { applyRegistryEvent, type ApplyStore, type Processed } from './apply-registry-event';
import { nudgeBudgetOf, nudgeDelivery, wakeNow } from './webhook-nudge';

export const MAX_WEBHOOK_BYTES = 64 * 1024;
/** Tolerated difference between ACR's clock and ours. */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000;
const EARLIEST_EVENT_MS = Date.parse('2000-01-01T00:00:00Z');

export interface WebhookInput {
  /** The {region} route segment, if the webhook URL has one. */
  region?: string | undefined;
  authorization?: string | null | undefined;
  contentLength?: string | null | undefined;
  /** The body, or a reader called only once the caller is authenticated and the size is sane. */
  body: Uint8Array | (() => Promise<Uint8Array>);
}

export interface WebhookResult {
  status: number;
  body: {
    status?: 'recorded' | 'duplicate' | 'ignored' | 'rejected';
    releases?: string[];
    reason?: string;
    error?: string;
    message?: string;
    problems?: string[];
  };
}

const reject = (status: number, error: string, message: string, problems?: string[]): WebhookResult => ({
  status,
  body: problems ? { error, message, problems } : { error, message },
});

/** `source`: the deps, or how to build them (a ConfigError then stays hidden from anonymous callers). */
export async function receiveWebhook(
  source: Deps | (() => Deps),
  input: WebhookInput,
  log: Logger,
): Promise<WebhookResult> {
  const result = await receive(source, input, log);
  countDelivery(source, input.region, result);
  return result;
}

/**
 * webhook.deliveries {region, outcome}: outcome is the answer's status (recorded, duplicate,
 * ignored) or error code (unauthorized, invalid-event, …). The region label is a configured
 * region, `home` for the region-less URL, or `unknown`, so callers cannot grow its cardinality.
 */
function countDelivery(source: Deps | (() => Deps), region: string | undefined, result: WebhookResult): void {
  let deps: Deps;
  try {
    deps = typeof source === 'function' ? source() : source;
  } catch {
    return; // settings broken: the answer said so; nothing to count with
  }
  const known = region === undefined || deps.config.regions.some((r) => r.name === region);
  deps.metrics.webhookDelivery({
    region: region === undefined ? 'home' : known ? region : 'unknown',
    outcome: result.body.status ?? result.body.error ?? `http-${result.status}`,
  });
}

async function receive(
  source: Deps | (() => Deps),
  input: WebhookInput,
  log: Logger,
): Promise<WebhookResult> {
  const gate = authenticateWebhook(
    typeof source === 'function' ? source : () => source,
    input.authorization,
    (problems) => log.error('config.invalid', { problems }),
  );
  if (!gate.ok) return reject(gate.status, gate.error, gate.message);
  const deps = gate.deps;
  const unknownRegion = checkRegion(deps, input.region);
  if (unknownRegion) return unknownRegion;
  const read = await readEvent(deps, input);
  if (!read.ok) return read.result;
  if (read.event.action === 'ping')
    return { status: 200, body: { status: 'ignored', releases: [], reason: 'ping' } };
  return recordAndProcess(deps, read.event, read.text, input.region, log);
}

function checkRegion(deps: Deps, region: string | undefined): WebhookResult | undefined {
  const { regions } = deps.config;
  if (region === undefined || regions.some((r) => r.name === region)) return undefined;
  const shown = isRegion(region) ? region : JSON.stringify(region.slice(0, 64));
  return reject(
    404,
    'unknown-region',
    `region ${shown} is not configured (configured: ${regions.map((r) => r.name).join(', ')})`,
  );
}

type ReadEvent = { ok: true; event: AcrEvent; text: string } | { ok: false; result: WebhookResult };

/** The body within its size bound, parsed and validated; timestamps inside the tolerated skew. */
async function readEvent(deps: Deps, input: WebhookInput): Promise<ReadEvent> {
  const tooLarge = {
    ok: false as const,
    result: reject(413, 'payload-too-large', `the body exceeds ${MAX_WEBHOOK_BYTES} bytes`),
  };
  if (Number(input.contentLength ?? '0') > MAX_WEBHOOK_BYTES) return tooLarge;
  const body = typeof input.body === 'function' ? await input.body() : input.body;
  if (body.byteLength > MAX_WEBHOOK_BYTES) return tooLarge;
  const text = Buffer.from(body).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const message = `the body is not valid JSON: ${errorMessage(err).slice(0, 200)}`;
    return { ok: false, result: reject(400, 'invalid-json', message) };
  }
  const parsed = parseAcrEvent(json);
  const invalid = (problems: string[]) => ({
    ok: false as const,
    result: reject(400, 'invalid-event', 'the event does not match the ACR webhook schema', problems),
  });
  if (!parsed.ok) return invalid(parsed.problems);
  const event = parsed.event;
  const problems = event.action === 'ping' ? [] : timestampProblems(event.timestamp, deps.clock.now());
  return problems.length > 0 ? invalid(problems) : { ok: true, event, text };
}

/** Releases are ordered by ACR's timestamp: one from the future would pin its tag until then. */
export function timestampProblems(timestamp: string, now: Date): string[] {
  const skew = Date.parse(timestamp) - now.getTime();
  if (skew > MAX_CLOCK_SKEW_MS)
    return [
      `timestamp: is ${Math.round(skew / 1000)}s in the future (more than ${MAX_CLOCK_SKEW_MS / 1000}s of clock skew)`,
    ];
  return Date.parse(timestamp) < EARLIEST_EVENT_MS ? ['timestamp: is before 2000'] : [];
}

/**
 * Records the delivery exactly once, claims what it announces, then nudges the releases (within
 * its budget). Lean on table operations: a delivery already answered costs one point read; a new
 * push four (the record read, the head read, the claim, the record write with its outcome). A
 * crash before that write leaves no record, so a redelivery processes it again: planning is
 * idempotent (the tag head names the release of a digest; every row is created if absent), and a
 * claim whose answer never went out is written out by the timer from its pending record.
 */
export async function recordAndProcess(
  deps: Deps,
  event: Exclude<AcrEvent, { action: 'ping' }>,
  text: string,
  region: string | undefined,
  log: Logger,
): Promise<WebhookResult> {
  const delivery = deliveryOf(event, region, text, deps.clock.now());
  const dlog = log.with({
    region,
    repository: delivery.repository,
    tag: delivery.tag,
    digest: delivery.digest,
    eventId: delivery.eventId,
    action: delivery.action,
  });
  const existing = await deps.store.getDelivery(delivery.day, delivery.key);
  if (existing?.outcome) return duplicateOf(existing, dlog);

  // First time (or a repeat of a delivery whose processing was cut short): process it.
  const processed = await processRecording(deps, event, region, delivery, dlog);
  const complete: DeliveryRecord = {
    ...delivery,
    outcome: processed.status,
    reason: processed.reason,
    releaseIds: processed.releases,
  };
  // Nudge off: the wake-up goes out beside the record write, so the answer waits for neither in
  // turn (its release is claimed, so the wake-up finds it or its pending record, and a send never
  // throws: a failure is logged, and the timer writes the release out instead).
  const nudgeMs = nudgeBudgetOf(deps, processed);
  const woken = nudgeMs === 0 ? wakeNow(deps, processed, dlog) : Promise.resolve();
  // A record without an outcome (processing that failed before): completed; else created once (a
  // copy that recorded first makes this a duplicate, answered with its own idempotent processing).
  const recorded = await Promise.all([
    existing
      ? deps.store.completeDelivery(complete).then(() => undefined)
      : deps.store.recordDelivery(complete),
    woken,
  ]).then(([r]) => r);
  const repeat = existing !== undefined || recorded?.result === 'duplicate';
  const fields = { outcome: processed.status, reason: processed.reason, releaseIds: processed.releases };
  // A push the registry does not hold: a forged or mistaken delivery someone should look at.
  if (processed.status === 'rejected') dlog.warn('webhook.rejected', fields);
  else dlog.info(repeat ? 'webhook.duplicate' : 'webhook.recorded', fields);
  if (nudgeMs > 0) await nudgeDelivery(deps, processed, dlog, region, nudgeMs);
  const status = repeat ? 'duplicate' : processed.status;
  return {
    status: 202,
    body: { status, releases: processed.releases, ...(processed.reason ? { reason: processed.reason } : {}) },
  };
}

function duplicateOf(existing: DeliveryRecord, log: Logger): WebhookResult {
  const releases = existing.releaseIds;
  log.info('webhook.duplicate', { releaseIds: releases });
  return {
    status: 202,
    body: { status: 'duplicate', releases, reason: 'this delivery was already recorded' },
  };
}

/**
 * applyRegistryEvent; if it throws, the delivery is still kept for audit (without an outcome, best
 * effort) before the error goes on to the caller's 5xx, so ACR's redelivery completes it.
 */
async function processRecording(
  deps: Deps<ApplyStore & Pick<DeliveryStore, 'recordDelivery'>>,
  event: Exclude<AcrEvent, { action: 'ping' }>,
  region: string | undefined,
  delivery: DeliveryRecord,
  log: Logger,
): Promise<Processed> {
  try {
    return await applyRegistryEvent(deps, event, region, log);
  } catch (err) {
    await deps.store.recordDelivery(delivery).catch((e: unknown) => {
      log.warn('webhook.audit-failed', { error: errorMessage(e) });
      deps.metrics.operationError({ operation: 'webhook-audit' });
    });
    throw err;
  }
}

function deliveryOf(
  event: Exclude<AcrEvent, { action: 'ping' }>,
  region: string | undefined,
  payload: string,
  now: Date,
): DeliveryRecord {
  const target = event.target as { repository: string; tag?: string; digest?: string; mediaType?: string };
  const key = createHash('sha256')
    .update(
      [region ?? '', event.id, event.action, target.repository, target.digest ?? '', target.tag ?? ''].join(
        '\n',
      ),
    )
    .digest('hex')
    .slice(0, 40);
  return {
    key,
    day: new Date(Date.parse(event.timestamp)).toISOString().slice(0, 10),
    region,
    eventId: event.id,
    action: event.action,
    repository: target.repository,
    tag: target.tag,
    digest: target.digest,
    mediaType: target.mediaType,
    eventAt: event.timestamp,
    receivedAt: now.toISOString(),
    releaseIds: [],
    payload,
  };
}
