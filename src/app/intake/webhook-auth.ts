// Authorization: Bearer <secret>, compared in constant time against every configured secret
// (several so a secret can be rotated without downtime). Hashing first makes the comparison
// independent of the secrets' lengths, and every secret is compared, so timing says nothing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../config';

const digestOf = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

export function isAuthorized(
  authorizationHeader: string | null | undefined,
  secrets: readonly string[],
): boolean {
  const m = BEARER.exec(authorizationHeader ?? '');
  const presented = digestOf(m?.[1] ?? '');
  let ok = false;
  for (const secret of secrets) ok = timingSafeEqual(presented, digestOf(secret)) || ok;
  return ok && m !== null;
}

export type WebhookGate<D> =
  { ok: true; deps: D } | { ok: false; status: 401 | 503; error: string; message: string };

/**
 * Authenticates before any configuration problem is shown: settings name internal endpoints,
 * so a caller without the secret gets 401 whatever is broken. An authenticated caller gets the
 * ConfigError (thrown: the edge answers it with the problems). If WEBHOOK_SECRETS itself is
 * broken nobody can be authenticated: 401 without a bearer token, else 503 without details.
 */
export function authenticateWebhook<D extends { config: { webhookSecrets: readonly string[] } }>(
  resolveDeps: () => D,
  authorization: string | null | undefined,
  onUnverifiable: (problems: readonly string[]) => void,
): WebhookGate<D> {
  let deps: D | undefined;
  let configError: ConfigError | undefined;
  try {
    deps = resolveDeps();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    configError = err;
  }
  const secrets = deps?.config.webhookSecrets ?? configError?.webhookSecrets();
  const unauthorized = {
    ok: false,
    status: 401,
    error: 'unauthorized',
    message: 'missing or invalid Authorization header',
  } as const;
  if (!secrets) {
    if (!BEARER.test(authorization ?? '')) return unauthorized;
    onUnverifiable(configError?.problems ?? []);
    return {
      ok: false,
      status: 503,
      error: 'unavailable',
      message: 'webhooks cannot be authenticated until the app configuration is fixed (see the app logs)',
    };
  }
  if (!isAuthorized(authorization, secrets)) return unauthorized;
  if (configError) throw configError;
  return { ok: true, deps: deps! };
}
