// Who did an operator action: never taken from the request body. App Service Authentication
// (Easy Auth, infra `enableEasyAuth`) puts the signed-in user's name in x-ms-client-principal-name
// (clients cannot set it there: App Service replaces it); else the caller used a function key
// (x-functions-key header or `code` query); the local host checks no key, so there it is "local".
import type { HttpRequest } from '@azure/functions';

export interface ActorHost {
  /** The local host (dev/local-host.ts): no key is checked, so a key proves nothing there. */
  local?: boolean | undefined;
}

const MAX_ACTOR = 200;

/** Printable text only, bounded: the actor goes into logs, the audit table and the page. */
function clean(value: string | null): string | undefined {
  const printable = [...(value ?? '')].filter((ch) => {
    const c = ch.charCodeAt(0);
    return c >= 0x20 && (c < 0x7f || c > 0x9f);
  });
  const v = printable.join('').trim();
  return v ? v.slice(0, MAX_ACTOR) : undefined;
}

export function actorOf(request: HttpRequest, host: ActorHost = {}): string {
  const principal = clean(request.headers.get('x-ms-client-principal-name'));
  if (principal) return principal;
  if (host.local) return 'local';
  if (request.headers.get('x-functions-key') || request.query.get('code')) return 'function-key';
  return 'anonymous';
}
