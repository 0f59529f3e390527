// GET /api/releases: the newest releases first, each with a per-region rollout summary, paged
// with an opaque continuation token. Thin: parse the query, run the use case, map to HTTP.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { appDeps } from '../app/composition';
import { parseReleasesQuery, type QueryProblem } from '../app/status-queries';
import { listReleaseViews } from '../app/status-releases';
import { json, withErrorMapping } from './http-edge';
import type { HttpRegistration } from './registration';

export function badQuery(problems: QueryProblem[]): HttpResponseInit {
  const first = problems[0] ?? { parameter: 'query', message: 'is invalid' };
  return json(400, {
    error: 'bad-request',
    parameter: first.parameter,
    message: problems.map((p) => `${p.parameter}: ${p.message}`).join('; '),
    problems,
  });
}

export async function releases(request: HttpRequest): Promise<HttpResponseInit> {
  const param = (name: string) => request.query.get(name) ?? undefined;
  const query = parseReleasesQuery({
    repository: param('repository'),
    state: param('state'),
    limit: param('limit'),
    continuationToken: param('continuationToken'),
  });
  if (!query.ok) return badQuery(query.problems);
  return json(200, await listReleaseViews(appDeps(), query.value));
}

export const releasesRegistration: HttpRegistration = {
  name: 'releases',
  methods: ['GET'],
  route: 'releases',
  authLevel: 'function',
  handler: withErrorMapping(releases),
};
