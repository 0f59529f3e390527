// POST /api/acr/events/{region?}: one ACR webhook per replica region (the region is in the URL,
// because ACR's payload has none). Anonymous at the Functions level: the bearer secret is its check
// (src/app/intake/webhook-auth.ts). Thin: read the edge input, run the use case, map the result.
import type { HttpHandler } from '@azure/functions';
import { receiveWebhook } from '../../app/intake';
import { json, loggerFor, withErrorMapping } from '../platform';
import type { HttpRegistration, ResolveDeps } from '../platform';

export function makeAcrEventsHandler(resolveDeps: ResolveDeps): HttpHandler {
  return withErrorMapping(async (request, context) => {
    const result = await receiveWebhook(
      // Resolved inside, after authentication: a broken setting is not shown to anonymous callers.
      resolveDeps,
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
  });
}

export function acrEventsRegistration(resolveDeps: ResolveDeps): HttpRegistration {
  return {
    name: 'acrEvents',
    methods: ['POST'],
    route: 'acr/events/{region?}',
    // One door, one key: the bearer secret (WEBHOOK_SECRETS) is this route's only check. A Functions
    // key in ACR's webhook URL would be readable by anyone who can read the webhook's configuration,
    // and a host key opens every operator route too.
    authLevel: 'anonymous',
    handler: makeAcrEventsHandler(resolveDeps),
  };
}
