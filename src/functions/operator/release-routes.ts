// POST /api/releases/{id}/retry|pause|resume|approve|cancel|reject: thin triggers over
// src/app/operator-*.ts. Unknown (or malformed) release id: 404; a state that does not allow the
// action: 409; a bad body: 400 naming the field.
import type { HttpHandler } from '@azure/functions';
import { z } from 'zod';
import {
  cancelRelease,
  rejectRelease,
  approveWave,
  pauseRelease,
  resumeRelease,
  retryRelease,
} from '../../app/operator';
import type { ActionInput, ActionResult } from '../../app/operator';
import type { Deps, Logger } from '../../app/platform';
import { isReleaseId } from '../../app/status';
import { json, loggerFor } from '../platform';
import type { ActorHost } from './actor';
import { operatorAction, parseAction, reasonField, regionsField, toHttp } from './http';
import type { HttpRegistration, ResolveDeps } from '../platform';

const reasonOnly = z.strictObject({ reason: reasonField });
const retryBody = z.strictObject({ reason: reasonField, regions: regionsField });
const approveBody = z.strictObject({
  reason: reasonField,
  wave: z
    .number({ message: 'must be a wave number (an integer from 0)' })
    .int({ message: 'must be a wave number (an integer from 0)' })
    .min(0, { message: 'must be a wave number (an integer from 0)' }),
});

type Run<T> = (deps: Deps, log: Logger, id: string, body: T, input: ActionInput) => Promise<ActionResult>;

function releaseAction<T extends { reason?: string | undefined }>(
  resolveDeps: ResolveDeps,
  host: ActorHost,
  schema: z.ZodType<T>,
  run: Run<T>,
): HttpHandler {
  return operatorAction(resolveDeps, host, async (deps, request, context, actor) => {
    const id = request.params.id ?? '';
    if (!isReleaseId(id))
      return json(404, { error: 'not-found', id, message: `no release ${JSON.stringify(id)}` });
    const parsed = await parseAction(request, schema, actor);
    if (!parsed.ok) return parsed.response;
    return toHttp(await run(deps, loggerFor(context), id, parsed.value, parsed.input));
  });
}

const ACTIONS = {
  retry: {
    schema: retryBody,
    run: ((d, l, id, b, i) => retryRelease(d, l, id, b.regions, i)) as Run<z.infer<typeof retryBody>>,
  },
  pause: {
    schema: reasonOnly,
    run: ((d, l, id, _b, i) => pauseRelease(d, l, id, i)) as Run<z.infer<typeof reasonOnly>>,
  },
  resume: {
    schema: reasonOnly,
    run: ((d, l, id, _b, i) => resumeRelease(d, l, id, i)) as Run<z.infer<typeof reasonOnly>>,
  },
  approve: {
    schema: approveBody,
    run: ((d, l, id, b, i) => approveWave(d, l, id, b.wave, i)) as Run<z.infer<typeof approveBody>>,
  },
  cancel: {
    schema: reasonOnly,
    run: ((d, l, id, _b, i) => cancelRelease(d, l, id, i)) as Run<z.infer<typeof reasonOnly>>,
  },
  reject: {
    schema: reasonOnly,
    run: ((d, l, id, _b, i) => rejectRelease(d, l, id, i)) as Run<z.infer<typeof reasonOnly>>,
  },
};

export function releaseActionRegistrations(
  resolveDeps: ResolveDeps,
  host: ActorHost = {},
): HttpRegistration[] {
  return Object.entries(ACTIONS).map(([action, a]) => ({
    name: `release${action[0]!.toUpperCase()}${action.slice(1)}`,
    methods: ['POST'],
    route: `releases/{id}/${action}`,
    authLevel: 'function',
    handler: releaseAction(
      resolveDeps,
      host,
      a.schema as z.ZodType<{ reason?: string }>,
      a.run as Run<{ reason?: string }>,
    ),
  }));
}
