// The operator routes outside one release: holds (POST/GET /api/holds, DELETE
// /api/holds/{id}), rejections (GET/DELETE /api/rejections), rollbacks (POST /api/rollbacks) and
// the audit trail (GET /api/audit, newest first, paged like /api/releases). Thin triggers.
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { listRejections, unreject, liftHold, listHolds, placeHold, rollBack } from '../../app/operator';
import { parseReleasesQuery, toApiToken } from '../../app/status';
import { isDigest, isRepository } from '../../core/model';
import { RELEASE_ID_PATTERN } from '../../core/intake';
import type { Deps } from '../../app/platform';
import { json, loggerFor, withErrorMapping } from '../platform';
import type { ActorHost } from './actor';
import { badBody, operatorAction, parseAction, reasonField, regionsField, toHttp } from './http';
import { badQuery } from '../status';
import type { HttpRegistration, ResolveDeps } from '../platform';

const WORKLOAD =
  /^[a-z0-9][a-z0-9.-]{0,252}\/[A-Za-z]{1,63}\/[a-z0-9][a-z0-9.-]{0,252}\/[a-z0-9][a-z0-9-]{0,62}$/;
const holdBody = z.strictObject({
  region: z
    .string({ message: 'is required (a configured region name)' })
    .min(1, { message: 'is required' })
    .max(100),
  workload: z
    .string({ message: 'must be a workload key ns/Kind/name/container' })
    .regex(WORKLOAD, { message: 'must be a workload key ns/Kind/name/container' })
    .optional(),
  reason: reasonField,
});
const rollbackBody = z.strictObject({
  releaseId: z
    .string({ message: 'is required (the id of the older release)' })
    .regex(RELEASE_ID_PATTERN, { message: 'must be a release id (as GET /api/releases returns)' }),
  regions: regionsField,
  reason: reasonField,
});

type Read = (deps: Deps, request: HttpRequest) => Promise<HttpResponseInit>;
/** An action: the caller is authorized first (operatorAction), its identity is `actor`. */
type Act = (
  deps: Deps,
  request: HttpRequest,
  context: InvocationContext,
  actor: string,
) => Promise<HttpResponseInit>;

/** GETs read (no role needed); every other method is an action and goes through operatorAction. */
function route(resolveDeps: ResolveDeps, host: ActorHost, act: Act, read?: Read): HttpHandler {
  const acting = operatorAction(resolveDeps, host, act);
  if (!read) return acting;
  const reading = withErrorMapping((request) => read(resolveDeps(), request));
  return (request, context) => (request.method === 'GET' ? reading : acting)(request, context);
}

const placeHoldAct: Act = async (deps, request, context, actor) => {
  const parsed = await parseAction(request, holdBody, actor);
  if (!parsed.ok) return parsed.response;
  return toHttp(await placeHold(deps, loggerFor(context), parsed.value, parsed.input));
};

const liftHoldAct: Act = async (deps, request, context, actor) =>
  toHttp(await liftHold(deps, loggerFor(context), request.params.id ?? '', { actor }));

const unrejectAct: Act = async (deps, request, context, actor) => {
  const repository = request.query.get('repository') ?? '';
  const digest = request.query.get('digest') ?? '';
  if (!isRepository(repository)) return badBody('repository', 'must be a repository name (query parameter)');
  if (!isDigest(digest)) return badBody('digest', 'must be a digest sha256:<64 hex> (query parameter)');
  return toHttp(await unreject(deps, loggerFor(context), repository, digest, { actor }));
};

const rollbackAct: Act = async (deps, request, context, actor) => {
  const parsed = await parseAction(request, rollbackBody, actor);
  if (!parsed.ok) return parsed.response;
  return toHttp(await rollBack(deps, loggerFor(context), parsed.value, parsed.input));
};

const audit: Read = async (deps, request) => {
  const query = parseReleasesQuery({
    limit: request.query.get('limit') ?? undefined,
    continuationToken: request.query.get('continuationToken') ?? undefined,
  });
  if (!query.ok) return badQuery(query.problems);
  const page = await deps.store.listAudit(query.value);
  return json(200, { entries: page.entries, continuationToken: toApiToken(page.continuationToken) });
};

export function operatorRegistrations(resolveDeps: ResolveDeps, host: ActorHost = {}): HttpRegistration[] {
  const reg = (
    name: string,
    methods: HttpRegistration['methods'],
    path: string,
    handler: HttpHandler,
  ): HttpRegistration => ({ name, methods, route: path, authLevel: 'function', handler });
  const acts = (act: Act, read?: Read) => route(resolveDeps, host, act, read);
  return [
    reg(
      'holds',
      ['GET', 'POST'],
      'holds',
      acts(placeHoldAct, async (deps) => toHttp(await listHolds(deps))),
    ),
    reg('hold', ['DELETE'], 'holds/{id}', acts(liftHoldAct)),
    reg(
      'rejections',
      ['GET', 'DELETE'],
      'rejections',
      acts(unrejectAct, async (deps) => toHttp(await listRejections(deps))),
    ),
    reg('rollbacks', ['POST'], 'rollbacks', acts(rollbackAct)),
    reg(
      'audit',
      ['GET'],
      'audit',
      withErrorMapping((request) => audit(resolveDeps(), request)),
    ),
  ];
}
