// POST /api/acr/events/{region?}: one ACR webhook per replica region (the region is in the URL,
// because ACR's payload has none). Thin: read the edge input, run the use case, map the result.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { appDeps } from '../app/composition';
import { MAX_WEBHOOK_BYTES, receiveWebhook } from '../app/receive-webhook';
import { json, loggerFor, withErrorMapping } from './http-edge';
import type { HttpRegistration } from './registration';

export async function acrEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const deps = appDeps();
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_WEBHOOK_BYTES)
    return json(413, { error: 'payload-too-large', message: `the body exceeds ${MAX_WEBHOOK_BYTES} bytes` });
  const body = new Uint8Array(await request.arrayBuffer());
  const result = await receiveWebhook(
    deps,
    {
      region: request.params.region || undefined,
      authorization: request.headers.get('authorization'),
      contentLength: request.headers.get('content-length'),
      body,
    },
    loggerFor(context),
  );
  return json(result.status, result.body);
}

export const acrEventsRegistration: HttpRegistration = {
  name: 'acrEvents',
  methods: ['POST'],
  route: 'acr/events/{region?}',
  authLevel: 'function',
  handler: withErrorMapping(acrEvents),
};
