// Run by azd after `azd deploy` (azure.yaml, postdeploy): with INTAKE event-grid or both, creates
// or updates the Event Grid subscription `acr-geo-rollout` on the registry's system topic, which
// delivers `Microsoft.ContainerRegistry.ImagePushed` to the function `acrEventGrid`. It cannot be
// in the provision template: Event Grid refuses an AzureFunction destination ("Destination endpoint
// not found") until the function is deployed, and azd provisions before it deploys.
//
// Reads the template's outputs (azd passes them to hooks as environment variables): ROLLOUT_INTAKE,
// ROLLOUT_ARM_ENDPOINT, ROLLOUT_EVENT_GRID_TOPIC_ID, ROLLOUT_EVENT_GRID_SUBSCRIPTION,
// ROLLOUT_FUNCTION_APP_ID, ROLLOUT_STORAGE_ACCOUNT_ID, ROLLOUT_DEAD_LETTER_CONTAINER; and INTAKE,
// the azd variable, to notice an intake changed since the last provisioning.
// The ARM token comes from `azd auth token` (the signed-in azd user). It is sent only to the ARM
// endpoint, and nothing it prints carries a token or any part of ARM's error body beyond its code
// and message (redacted).
//
// Test-only: ROLLOUT_TEST_ARM_TOKEN replaces `azd auth token`, and is honoured only when
// ROLLOUT_ARM_ENDPOINT is a loopback address (test/infra/event-grid-hook.test.ts serves ARM's wire
// format there). ROLLOUT_EVENT_GRID_TIMEOUT_S bounds the whole run (default 300 s).
import { execFileSync } from 'node:child_process';

const API_VERSION = '2025-02-15'; // Microsoft.EventGrid GA
const FUNCTION_NAME = 'acrEventGrid'; // src/functions: the Event Grid trigger
const EVENT_TYPE = 'Microsoft.ContainerRegistry.ImagePushed';
const MAX_PUTS = 10; // PUT attempts: the function may take a moment to be indexed after deploy
const RETRY_DELAY_S = 15;
const POLL_DELAY_S = 5;
const REQUEST_TIMEOUT_MS = 30_000;

const env = process.env;
const say = (text) => console.log(`  event grid             ${text}`);

class HookError extends Error {}

/** Whether a URL points at this machine (where plain http and the test token are allowed). */
function isLoopback(url) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function armBase() {
  const raw = (env.ROLLOUT_ARM_ENDPOINT || 'https://management.azure.com').replace(/\/+$/, '');
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new HookError(`ROLLOUT_ARM_ENDPOINT is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url)))
    throw new HookError('ROLLOUT_ARM_ENDPOINT must be https (plain http only on loopback, for tests)');
  return { base: raw, url };
}

function armToken(base, url) {
  if (env.ROLLOUT_TEST_ARM_TOKEN) {
    if (!isLoopback(url)) throw new HookError('ROLLOUT_TEST_ARM_TOKEN is for loopback test servers only');
    return env.ROLLOUT_TEST_ARM_TOKEN;
  }
  let out;
  try {
    out = execFileSync('azd', ['auth', 'token', '--output', 'json', '--scope', `${base}/.default`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (err) {
    // azd's own message (not its stdout, which would hold a token).
    const why = String(err.stderr ?? err.message ?? '')
      .split('\n')
      .find((l) => l.trim());
    throw new HookError(`azd auth token failed: ${redact(why ?? 'no output')} (run azd auth login)`);
  }
  let token;
  try {
    token = JSON.parse(out).token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') throw new HookError('azd auth token gave no token');
  return token;
}

/** Text from elsewhere, fit to print: no token, no key or signature in a URL, no JWT, one short line. */
function redact(text, token) {
  let s = String(text ?? '');
  if (token) s = s.split(token).join('<redacted>');
  return s
    .replace(/([?&](?:code|sig|key|token|access_token)=)[^&\s"']*/gi, '$1<redacted>')
    .replace(/\bey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g, '<redacted>')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}

/** ARM's `{error: {code, message}}` (or an operation's `error`), nothing else of the body. */
function armError(body, token) {
  const e = body && typeof body === 'object' ? (body.error ?? body) : {};
  const code = typeof e.code === 'string' ? e.code : 'unknown';
  const message = typeof e.message === 'string' ? e.message : '';
  return { code: redact(code, token), message: redact(message, token) };
}

/** Event Grid's answer while the function is not there (yet): worth another PUT after a pause. */
const endpointNotReady = (e) =>
  /destination endpoint not found|endpoint validation/i.test(`${e.code} ${e.message}`);
const transient = (status) => status === 408 || status === 429 || status >= 500;

const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
/** ARM's Retry-After in seconds (capped at a minute), else the fallback. */
function retryAfter(res, fallback) {
  const h = res.headers.get('retry-after');
  const v = h === null ? NaN : Number(h);
  return Number.isFinite(v) && v >= 0 ? Math.min(v, 60) : fallback;
}

async function call(method, url, token, body) {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
    redirect: 'error', // never follow a redirect with the token
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { res, json };
}

/** The subscription ARM is asked to create: what docs/deploy.md "Event Grid intake" describes. */
function subscriptionBody({ functionAppId, storageAccountId, deadLetterContainer }) {
  return {
    properties: {
      destination: {
        endpointType: 'AzureFunction',
        properties: {
          resourceId: `${functionAppId}/functions/${FUNCTION_NAME}`,
          maxEventsPerBatch: 1,
          preferredBatchSizeInKilobytes: 64,
        },
      },
      filter: { includedEventTypes: [EVENT_TYPE] },
      eventDeliverySchema: 'EventGridSchema',
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
      deadLetterWithResourceIdentity: {
        identity: { type: 'SystemAssigned' },
        deadLetterDestination: {
          endpointType: 'StorageBlob',
          properties: { resourceId: storageAccountId, blobContainerName: deadLetterContainer },
        },
      },
    },
  };
}

/**
 * Follow the long-running PUT: the Azure-AsyncOperation URL (same ARM origin only: the token goes
 * nowhere else) until Succeeded, Failed or Canceled; without one, the resource's provisioningState.
 */
async function settle(put, resourceUrl, ctx) {
  const op = put.res.headers.get('azure-asyncoperation');
  let pollUrl = resourceUrl;
  if (op) {
    let u;
    try {
      u = new URL(op);
    } catch {
      throw new HookError('ARM answered with an Azure-AsyncOperation header that is not a URL');
    }
    if (u.origin !== ctx.url.origin)
      throw new HookError('ARM answered with an Azure-AsyncOperation URL on another host: not followed');
    pollUrl = u.href;
  } else if (put.json?.properties?.provisioningState === 'Succeeded') return { ok: true };
  let delay = retryAfter(put.res, POLL_DELAY_S);
  for (;;) {
    if (Date.now() + delay * 1000 > ctx.deadline) throw new HookError('timed out waiting for ARM');
    await sleep(delay);
    const { res, json } = await call('GET', pollUrl, ctx.token);
    if (transient(res.status)) {
      delay = retryAfter(res, POLL_DELAY_S);
      continue;
    }
    if (!res.ok)
      return {
        ok: false,
        error: armError(json, ctx.token),
        res,
        what: `polling failed (HTTP ${res.status})`,
      };
    const state = op ? json?.status : json?.properties?.provisioningState;
    if (state === 'Succeeded') return { ok: true };
    if (state === 'Failed' || state === 'Canceled')
      return {
        ok: false,
        error: armError(json?.error ?? { code: state }, ctx.token),
        res,
        what: `the operation ended ${state}`,
      };
    delay = retryAfter(res, POLL_DELAY_S);
  }
}

async function createSubscription(ctx, resourceUrl, body) {
  let last;
  for (let attempt = 1; attempt <= MAX_PUTS; attempt++) {
    const put = await call('PUT', resourceUrl, ctx.token, body);
    const outcome = put.res.ok
      ? await settle(put, resourceUrl, ctx)
      : {
          ok: false,
          error: armError(put.json, ctx.token),
          res: put.res,
          what: `ARM refused it (HTTP ${put.res.status})`,
        };
    if (outcome.ok) return;
    last = outcome;
    const again = transient(outcome.res.status) || endpointNotReady(outcome.error);
    const delay = retryAfter(outcome.res, RETRY_DELAY_S);
    if (!again || attempt === MAX_PUTS || Date.now() + delay * 1000 > ctx.deadline) break;
    say(`not yet (${outcome.error.code}: ${outcome.error.message}); trying again in ${delay} s`);
    await sleep(delay);
  }
  throw new HookError(`${last.what}: ${last.error.code}: ${last.error.message}`);
}

function required(name) {
  const v = env[name];
  if (!v) throw new HookError(`${name} is not set: run azd provision first`);
  return v;
}

async function main() {
  const requested = env.INTAKE || 'webhook';
  const provisioned = env.ROLLOUT_INTAKE;
  if (!['webhook', 'event-grid', 'both'].includes(requested))
    throw new HookError(`INTAKE must be webhook, event-grid or both, not "${redact(requested)}"`);
  if (provisioned && provisioned !== requested)
    throw new HookError(`INTAKE is ${requested} but ${provisioned} is provisioned: run azd provision`);
  if (requested === 'webhook') return; // the summary says so
  const topicId = required('ROLLOUT_EVENT_GRID_TOPIC_ID');
  const name = required('ROLLOUT_EVENT_GRID_SUBSCRIPTION');
  const body = subscriptionBody({
    functionAppId: required('ROLLOUT_FUNCTION_APP_ID'),
    storageAccountId: required('ROLLOUT_STORAGE_ACCOUNT_ID'),
    deadLetterContainer: required('ROLLOUT_DEAD_LETTER_CONTAINER'),
  });
  const { base, url } = armBase();
  const token = armToken(base, url);
  const timeout = Number(env.ROLLOUT_EVENT_GRID_TIMEOUT_S) || 300;
  const ctx = { token, url, deadline: Date.now() + timeout * 1000 };
  const resourceUrl = `${base}${topicId}/eventSubscriptions/${encodeURIComponent(name)}?api-version=${API_VERSION}`;
  const topic = topicId.split('/').at(-1);
  say(`creating subscription ${name} on system topic ${topic}`);
  await createSubscription(ctx, resourceUrl, body);
  say(
    `subscription ${name} on ${topic}: ${EVENT_TYPE} -> ${FUNCTION_NAME}, ` +
      `dead letters in ${body.properties.deadLetterWithResourceIdentity.deadLetterDestination.properties.blobContainerName}`,
  );
}

main().catch((err) => {
  const why = err instanceof HookError ? err.message : `unexpected error: ${redact(err?.message)}`;
  say(`FAILED: ${why}`);
  process.exitCode = 1;
});
