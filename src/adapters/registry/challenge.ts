// Parses the registry's `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`
// challenge (RFC 7235 auth-params: quoted or token values, any order, extra params ignored).

export interface BearerChallenge {
  realm: string;
  service: string;
  scope?: string | undefined;
}

const PARAM = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g;

export function parseBearerChallenge(header: string | null): BearerChallenge | undefined {
  if (!header) return undefined;
  const m = /^\s*Bearer\s+(.*)$/is.exec(header);
  if (!m || m[1] === undefined) return undefined;
  const params = new Map<string, string>();
  for (const p of m[1].matchAll(PARAM)) {
    const name = p[1]?.toLowerCase();
    const value = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
    if (name && value !== undefined && !params.has(name)) params.set(name, value);
  }
  const realm = params.get('realm');
  const service = params.get('service');
  if (!realm || !service) return undefined;
  return { realm, service, scope: params.get('scope') };
}
