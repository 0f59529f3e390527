// GET /api/releases: the newest releases first, each with a per-region rollout summary, paged
// with an opaque continuation token. Thin: parse the query, run the use case, map to HTTP.
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { parseReleasesQuery, type QueryProblem, listReleaseViews } from '../../app/status';
import { json, withErrorMapping } from '../platform';
import type { HttpRegistration, ResolveDeps } from '../platform';

export function badQuery(problems: QueryProblem[]): HttpResponseInit {
  const first = problems[0] ?? { parameter: 'query', message: 'is invalid' };
  return json(400, {
    error: 'bad-request',
    parameter: first.parameter,
    message: problems.map((p) => `${p.parameter}: ${p.message}`).join('; '),
    problems,
  });
}

export function makeReleasesHandler(resolveDeps: ResolveDeps): HttpHandler {
  return withErrorMapping(async (request) => {
    const param = (name: string) => request.query.get(name) ?? undefined;
    const query = parseReleasesQuery({
      repository: param('repository'),
      state: param('state'),
      limit: param('limit'),
      continuationToken: param('continuationToken'),
    });
    if (!query.ok) return badQuery(query.problems);
    return json(200, await listReleaseViews(resolveDeps(), query.value));
  });
}

export function releasesRegistration(resolveDeps: ResolveDeps): HttpRegistration {
  return {
    name: 'releases',
    methods: ['GET'],
    route: 'releases',
    authLevel: 'function',
    handler: makeReleasesHandler(resolveDeps),
  };
}
