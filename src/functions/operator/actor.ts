// Who did an operator action, and whether they may: never taken from the request body.
// With App Service Authentication (Easy Auth; App Service sets WEBSITE_AUTH_ENABLED and replaces
// the x-ms-client-principal* headers with the signed-in user's) an action needs the app role
// OPERATOR_ROLE among the principal's role claims, and the actor is the signed-in name. Without
// it those headers are whatever the caller sent, so they are ignored: the caller passed a
// function key (the Functions host checked it), "function-key"; the local host checks no key,
// "local".
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { plainText } from '../../core/operator';

export interface ActorHost {
  /** The local host (dev/local-host.ts): no key is checked, so a key proves nothing there. */
  local?: boolean | undefined;
}

/** How operator actions are authorized (AppConfig.operatorAccess). */
export interface OperatorAccess {
  /** App Service Authentication is on (WEBSITE_AUTH_ENABLED). */
  easyAuth: boolean;
  /** The app role an action needs under Easy Auth (OPERATOR_ROLE); undefined when that setting is invalid. */
  role?: string | undefined;
}

const MAX_ACTOR = 200;
/** Far above what App Service sends (a base64 JSON of the token's claims); past it, refused unread. */
const MAX_PRINCIPAL_CHARS = 64 * 1024;
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_CLAIMS = ['name', 'preferred_username'];

const principalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).max(10_000),
});

export interface ClientPrincipal {
  name?: string | undefined;
  roles: string[];
}

/** The x-ms-client-principal header decoded; undefined when it is absent or not a principal. */
export function clientPrincipal(header: string | null): ClientPrincipal | undefined {
  const text = header?.trim() ?? '';
  if (text === '' || text.length > MAX_PRINCIPAL_CHARS || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text))
    return undefined;
  let parsed: z.infer<typeof principalSchema>;
  try {
    const result = principalSchema.safeParse(JSON.parse(Buffer.from(text, 'base64').toString('utf8')));
    if (!result.success) return undefined;
    parsed = result.data;
  } catch {
    return undefined;
  }
  const roleTypes = new Set([...ROLE_CLAIMS, ...(parsed.role_typ ? [parsed.role_typ] : [])]);
  const nameTypes = [...(parsed.name_typ ? [parsed.name_typ] : []), ...NAME_CLAIMS];
  const name = nameTypes.map((t) => parsed.claims.find((c) => c.typ === t)?.val).find((v) => !!v);
  return { name, roles: parsed.claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val) };
}

/** Printable text only, bounded: the actor goes into logs, the audit table, messages and the page. */
function cleanName(value: string | null | undefined): string | undefined {
  const v = plainText(value ?? '');
  return v ? v.slice(0, MAX_ACTOR) : undefined;
}

export function actorOf(
  request: HttpRequest,
  access: Pick<OperatorAccess, 'easyAuth'>,
  host: ActorHost = {},
): string {
  if (access.easyAuth) {
    const name =
      cleanName(request.headers.get('x-ms-client-principal-name')) ??
      cleanName(clientPrincipal(request.headers.get('x-ms-client-principal'))?.name);
    if (name) return name;
  }
  return host.local ? 'local' : 'function-key';
}

export type OperatorVerdict =
  { ok: true; actor: string } | { ok: false; status: 401 | 403 | 503; error: string; message: string };

/**
 * Whether the request may run an operator action (a POST or DELETE). Without Easy Auth the
 * Functions key is the check (the host made it before we run). The principal header is never
 * echoed: a refusal names only the role it needed.
 */
export function authorizeOperator(
  request: HttpRequest,
  access: OperatorAccess,
  host: ActorHost = {},
): OperatorVerdict {
  if (!access.easyAuth) return { ok: true, actor: actorOf(request, access, host) };
  const principal = clientPrincipal(request.headers.get('x-ms-client-principal'));
  if (!principal)
    return {
      ok: false,
      status: 401,
      error: 'unauthorized',
      message: 'sign-in required: the request carries no valid App Service principal (x-ms-client-principal)',
    };
  if (!access.role)
    return {
      ok: false,
      status: 503,
      error: 'unavailable',
      message:
        'operator actions cannot be authorized until the app configuration is fixed (see the app logs)',
    };
  if (!principal.roles.includes(access.role))
    return {
      ok: false,
      status: 403,
      error: 'forbidden',
      message: `this action requires the app role ${JSON.stringify(access.role)}, which the signed-in principal does not have`,
    };
  return { ok: true, actor: actorOf(request, access, host) };
}
