// POST /api/acr/events/{region?}: one ACR webhook per replica region (the region is in the URL,
// because ACR's payload has none). Thin: read the edge input, run the use case, map the result.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { appDeps } from '../app/composition';
import { receiveWebhook } from '../app/receive-webhook';
import { json, loggerFor, withErrorMapping } from './http-edge';
import type { HttpRegistration } from './registration';

export async function acrEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const result = await receiveWebhook(
    // Built inside, after authentication: a broken setting is not shown to anonymous callers.
    () => appDeps(),
    {
      region: request.params.region || undefined,
      authorization: request.headers.get('authorization'),
      contentLength: request.headers.get('content-length'),
      // Read only after authentication: an anonymous caller cannot make us buffer its body.
      body: async () => new Uint8Array(await request.arrayBuffer()),
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
