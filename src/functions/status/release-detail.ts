// GET /api/releases/{id}: one release and each region rollout in full (timestamps, readiness
// source, attempts, command id, errors, logs tail) with the derived figures in ms.
import type { HttpHandler } from '@azure/functions';
import { isReleaseId, getPendingReleaseView, getReleaseView } from '../../app/status';
import { json, withErrorMapping } from '../platform';
import type { HttpRegistration, ResolveDeps } from '../platform';

export function makeReleaseDetailHandler(resolveDeps: ResolveDeps): HttpHandler {
  return withErrorMapping(async (request) => {
    const id = request.params.id ?? '';
    // A malformed id cannot name a release: same 404, without a store read.
    const deps = isReleaseId(id) ? resolveDeps() : undefined;
    // A release just claimed by its webhook is shown from its pending record until written out.
    const view = deps
      ? ((await getReleaseView(deps, id)) ?? (await getPendingReleaseView(deps, id)))
      : undefined;
    if (!view) return json(404, { error: 'not-found', id, message: `no release ${JSON.stringify(id)}` });
    return json(200, view);
  });
}

export function releaseDetailRegistration(resolveDeps: ResolveDeps): HttpRegistration {
  return {
    name: 'releaseDetail',
    methods: ['GET'],
    route: 'releases/{id}',
    authLevel: 'function',
    handler: makeReleaseDetailHandler(resolveDeps),
  };
}
