// Calls the acrEvents handler (with its error mapping) built by its factory over the test's own
// deps resolver, the way the Functions host does: the SDK's own HttpRequest and InvocationContext,
// logs captured through the context's logHandler.
import { randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { makeAcrEventsHandler } from '../../src/functions/intake/acr-events';
import type { ResolveDeps } from '../../src/functions/platform/registration';
import { bearer } from '../support/intake-env';

export interface SendOptions {
  /** The {region} route segment; undefined = POST /api/acr/events. */
  region?: string;
  /** The Authorization header; null = no header; default the current secret. */
  authorization?: string | null;
  /** Content-Length to declare; default the body's byte length; null = no header. */
  contentLength?: number | null;
  headers?: Record<string, string>;
}

export interface Sent {
  status: number;
  /** The JSON body as a client would read it (serialized and parsed back). */
  body: {
    status?: string;
    releases?: string[];
    reason?: string;
    error?: string;
    message?: string;
    problems?: string[];
  };
  /** The body exactly as it would go over the wire. */
  bodyText: string;
  headers: Record<string, string>;
  /** Every log line the invocation wrote. */
  logs: string[];
}

export type Send = (payload: unknown, o?: SendOptions) => Promise<Sent>;

/** A sender of webhooks to the handler over these deps. */
export function sender(resolveDeps: ResolveDeps): Send {
  const handler = makeAcrEventsHandler(resolveDeps);
  return (payload, o) => sendTo(handler, payload, o);
}

/** Sends one webhook: an object is serialized as JSON; a string or bytes go as they are. */
async function sendTo(
  handler: ReturnType<typeof makeAcrEventsHandler>,
  payload: unknown,
  o: SendOptions = {},
): Promise<Sent> {
  const bytes =
    payload instanceof Uint8Array
      ? payload
      : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
  const authorization = o.authorization === undefined ? bearer() : o.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const contentLength = o.contentLength === undefined ? bytes.byteLength : o.contentLength;
  if (contentLength !== null) headers['content-length'] = String(contentLength);
  const path = o.region === undefined ? '' : `/${encodeURIComponent(o.region)}`;
  const request = new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1:7071/api/acr/events${path}`,
    headers,
    params: o.region === undefined ? {} : { region: o.region },
    body: { bytes },
  });
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'acrEvents',
    logHandler: (level, ...args) =>
      logs.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`),
  });
  const out = (await handler(request, context)) as HttpResponseInit;
  const bodyText = out.jsonBody === undefined ? '' : JSON.stringify(out.jsonBody);
  const outHeaders: Record<string, string> = {};
  new Headers(out.headers).forEach((v, k) => (outHeaders[k] = v));
  return {
    status: out.status ?? 200,
    body: bodyText ? (JSON.parse(bodyText) as Sent['body']) : {},
    bodyText,
    headers: outHeaders,
    logs,
  };
}
