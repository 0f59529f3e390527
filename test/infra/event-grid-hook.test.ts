// The postdeploy hook that makes the Event Grid subscription (infra/hooks/event-grid.mjs), run as
// azd runs it (a child process with the template's outputs in its environment) against a loopback
// server speaking ARM's wire format: the long-running PUT (201 + Azure-AsyncOperation, then the
// operation's status), its errors, the retry while the function is not indexed yet, the time limit.
// It must send exactly the documented subscription, and print no token and nothing of an error
// body but its code and message.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, SUB_ACR, SUB_APP } from './arm';

const TOKEN = 'test-arm-token-4f1d2c9e';
const SECRET = 'FAKE-SECRET-0123456789abcdef';
const TOPIC_ID = `/subscriptions/${SUB_ACR}/resourceGroups/rg-acr/providers/Microsoft.EventGrid/systemTopics/myregistry-rollout-1ff2a`;
const APP_ID = `/subscriptions/${SUB_APP}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/func-rollout-x`;
const STORAGE_ID = `/subscriptions/${SUB_APP}/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/strolloutx`;
const SUBSCRIPTION_PATH = `${TOPIC_ID}/eventSubscriptions/acr-geo-rollout`;

/** What ARM must receive: docs/deploy.md, "Event Grid intake". */
const EXPECTED_BODY = {
  properties: {
    destination: {
      endpointType: 'AzureFunction',
      properties: {
        resourceId: `${APP_ID}/functions/acrEventGrid`,
        maxEventsPerBatch: 1,
        preferredBatchSizeInKilobytes: 64,
      },
    },
    filter: { includedEventTypes: ['Microsoft.ContainerRegistry.ImagePushed'] },
    eventDeliverySchema: 'EventGridSchema',
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' },
      deadLetterDestination: {
        endpointType: 'StorageBlob',
        properties: { resourceId: STORAGE_ID, blobContainerName: 'event-grid-dead-letters' },
      },
    },
  },
};

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Seen, res: ServerResponse, n: number) => void;

let server: ReturnType<typeof createServer>;
let base = '';
let seen: Seen[] = [];
let handler: Handler = (_q, res) => res.writeHead(500).end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const s: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      handler(s, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
const operationUrl = (id: string) =>
  `${base}/subscriptions/${SUB_ACR}/providers/Microsoft.EventGrid/locations/eastus/operationsStatus/${id}?api-version=2025-02-15`;

/** The outputs azd passes to the hook for an Event Grid intake. */
const outputs = (): Record<string, string> => ({
  INTAKE: 'both',
  ROLLOUT_INTAKE: 'both',
  ROLLOUT_ARM_ENDPOINT: base,
  ROLLOUT_TEST_ARM_TOKEN: TOKEN,
  ROLLOUT_EVENT_GRID_TOPIC_ID: TOPIC_ID,
  ROLLOUT_EVENT_GRID_SUBSCRIPTION: 'acr-geo-rollout',
  ROLLOUT_FUNCTION_APP_ID: APP_ID,
  ROLLOUT_STORAGE_ACCOUNT_ID: STORAGE_ID,
  ROLLOUT_DEAD_LETTER_CONTAINER: 'event-grid-dead-letters',
});

/** Run the hook as azd does; resolves with its exit code and everything it printed. */
function hook(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'infra', 'hooks', 'event-grid.mjs')],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the Event Grid postdeploy hook', () => {
  it('when ARM accepts the PUT (201 + Azure-AsyncOperation) and the operation succeeds, then it sends exactly the documented subscription and says so', async () => {
    handler = (q, res, n) => {
      if (q.method === 'PUT')
        return json(
          res,
          201,
          { properties: { provisioningState: 'Creating' } },
          {
            'azure-asyncoperation': operationUrl('op-1'),
            'retry-after': '0',
          },
        );
      // The first poll is still running, the second done.
      return json(
        res,
        200,
        { name: 'op-1', status: n === 2 ? 'InProgress' : 'Succeeded' },
        { 'retry-after': '0' },
      );
    };
    const { code, out } = await hook(outputs());
    expect(code, out).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      `PUT ${SUBSCRIPTION_PATH}`,
      `GET /subscriptions/${SUB_ACR}/providers/Microsoft.EventGrid/locations/eastus/operationsStatus/op-1`,
      `GET /subscriptions/${SUB_ACR}/providers/Microsoft.EventGrid/locations/eastus/operationsStatus/op-1`,
    ]);
    const [put] = seen;
    expect(put!.query.get('api-version')).toBe('2025-02-15');
    expect(put!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(put!.body)).toEqual(EXPECTED_BODY);
    for (const s of seen) expect(s.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(out).toContain('event grid');
    expect(out).toMatch(
      /subscription acr-geo-rollout on myregistry-rollout-1ff2a: Microsoft\.ContainerRegistry\.ImagePushed -> acrEventGrid, dead letters in event-grid-dead-letters/,
    );
    expect(out).not.toContain(TOKEN);
  });

  it('when ARM refuses the PUT (4xx) with a secret in its error body, then it exits non-zero printing the code and message only, secret and token redacted', async () => {
    handler = (_q, res) =>
      json(
        res,
        400,
        {
          error: {
            code: 'InvalidRequest',
            message: `Invalid destination https://func-rollout-x.azurewebsites.net/runtime/webhooks/eventgrid?functionName=acrEventGrid&code=${SECRET}`,
            target: SECRET,
            details: [{ code: 'Key', message: `key ${SECRET}` }],
            additionalInfo: [{ type: 'Token', info: { token: TOKEN, secret: SECRET } }],
          },
        },
        { 'x-ms-echo': SECRET },
      );
    const { code, out } = await hook(outputs());
    expect(code).toBe(1);
    expect(seen).toHaveLength(1); // a 400 that is not the endpoint's absence is not retried
    expect(out).toMatch(/FAILED: ARM refused it \(HTTP 400\): InvalidRequest: Invalid destination/);
    expect(out).toContain('code=<redacted>');
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(TOKEN);
  });

  it('when the function is not indexed yet ("Destination endpoint not found"), then it tries the PUT again and succeeds', async () => {
    handler = (q, res, n) => {
      if (q.method === 'PUT' && n === 1)
        return json(
          res,
          400,
          { error: { code: 'Endpoint validation', message: 'Destination endpoint not found.' } },
          { 'retry-after': '0' },
        );
      if (q.method === 'PUT')
        return json(res, 201, {}, { 'azure-asyncoperation': operationUrl('op-2'), 'retry-after': '0' });
      return json(res, 200, { status: 'Succeeded' });
    };
    const { code, out } = await hook(outputs());
    expect(code, out).toBe(0);
    expect(seen.map((s) => s.method)).toEqual(['PUT', 'PUT', 'GET']);
    expect(JSON.parse(seen[1]!.body)).toEqual(EXPECTED_BODY);
    expect(out).toContain('not yet (Endpoint validation: Destination endpoint not found.)');
  });

  it('when the operation fails, then it exits non-zero with its code and message', async () => {
    handler = (q, res) =>
      q.method === 'PUT'
        ? json(res, 201, {}, { 'azure-asyncoperation': operationUrl('op-3'), 'retry-after': '0' })
        : json(res, 200, {
            status: 'Failed',
            error: { code: 'AuthorizationFailed', message: 'no write on the topic', details: [SECRET] },
          });
    const { code, out } = await hook(outputs());
    expect(code).toBe(1);
    expect(out).toMatch(/FAILED: the operation ended Failed: AuthorizationFailed: no write on the topic/);
    expect(out).not.toContain(SECRET);
  });

  it('when the operation never ends, then it gives up at its time limit, non-zero', async () => {
    handler = (q, res) =>
      q.method === 'PUT'
        ? json(res, 201, {}, { 'azure-asyncoperation': operationUrl('op-4'), 'retry-after': '1' })
        : json(res, 200, { status: 'InProgress' }, { 'retry-after': '1' });
    const { code, out } = await hook({ ...outputs(), ROLLOUT_EVENT_GRID_TIMEOUT_S: '2' });
    expect(code).toBe(1);
    expect(out).toContain('FAILED: timed out waiting for ARM');
    expect(seen.filter((s) => s.method === 'GET').length).toBeLessThanOrEqual(2);
  });

  it('when ARM points the operation at another host, then the token is not sent there', async () => {
    handler = (_q, res) =>
      json(
        res,
        201,
        {},
        {
          'azure-asyncoperation': 'https://elsewhere.example/operationsStatus/x',
          'retry-after': '0',
        },
      );
    const { code, out } = await hook(outputs());
    expect(code).toBe(1);
    expect(out).toContain('Azure-AsyncOperation URL on another host: not followed');
    expect(seen).toHaveLength(1);
  });

  it('when the intake is webhook, then it does nothing', async () => {
    const { code, out } = await hook({ ...outputs(), INTAKE: 'webhook', ROLLOUT_INTAKE: 'webhook' });
    expect(code).toBe(0);
    expect(out).toBe('');
    expect(seen).toEqual([]);
  });

  it('when INTAKE changed since the last provisioning, then it asks for `azd provision` and calls nothing', async () => {
    const { code, out } = await hook({ ...outputs(), INTAKE: 'event-grid', ROLLOUT_INTAKE: 'webhook' });
    expect(code).toBe(1);
    expect(out).toContain('INTAKE is event-grid but webhook is provisioned: run azd provision');
    expect(seen).toEqual([]);
  });

  it('when the test token is given with a real ARM endpoint, then it is refused (the token override is for loopback tests only)', async () => {
    const { code, out } = await hook({ ...outputs(), ROLLOUT_ARM_ENDPOINT: 'https://management.azure.com' });
    expect(code).toBe(1);
    expect(out).toContain('ROLLOUT_TEST_ARM_TOKEN is for loopback test servers only');
    expect(out).not.toContain(TOKEN);
  });
});
