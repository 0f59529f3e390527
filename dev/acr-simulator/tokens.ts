// The registry's token service: /oauth2/exchange turns the configured Entra token into a refresh
// token, /oauth2/token turns a refresh token into an access token for a scope. Tokens are
// JWT-shaped (so clients can read `exp`) and checked against what this service issued.
import { randomBytes, randomUUID } from 'node:crypto';

export interface ScopeGrant {
  type: string;
  name: string;
  actions: string[];
}

interface Issued {
  kind: 'refresh' | 'access';
  region: string;
  service: string;
  expMs: number;
  access: ScopeGrant[];
}

export type TokenResult<T> =
  { ok: true; value: T } | { ok: false; status: number; code: string; message: string };

/** `repository:<name>:<a,b>` separated by spaces; undefined when malformed. */
export function parseScopes(raw: string): ScopeGrant[] | undefined {
  const grants: ScopeGrant[] = [];
  for (const item of raw.split(' ').filter((s) => s.length > 0)) {
    const first = item.indexOf(':');
    const last = item.lastIndexOf(':');
    if (first <= 0 || last === first) return undefined;
    grants.push({
      type: item.slice(0, first),
      name: item.slice(first + 1, last),
      actions: item.slice(last + 1).split(','),
    });
  }
  return grants.length > 0 ? grants : undefined;
}

export class TokenService {
  private readonly issued = new Map<string, Issued>();
  counts = { exchange: 0, token: 0 };

  constructor(
    private readonly opts: {
      aadToken: () => string;
      service: string;
      refreshTtlSeconds: () => number;
      accessTtlSeconds: () => number;
    },
  ) {}

  exchange(region: string, form: URLSearchParams): TokenResult<{ refresh_token: string }> {
    this.counts.exchange++;
    if (form.get('grant_type') !== 'access_token')
      return { ok: false, status: 400, code: 'UNSUPPORTED', message: 'grant_type must be access_token' };
    if (form.get('service') !== this.opts.service)
      return { ok: false, status: 400, code: 'INVALID_SERVICE', message: 'unknown service' };
    if (form.get('access_token') !== this.opts.aadToken())
      return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'invalid AAD access token' };
    const token = this.mint('refresh', region, this.opts.refreshTtlSeconds(), []);
    return { ok: true, value: { refresh_token: token } };
  }

  token(region: string, form: URLSearchParams): TokenResult<{ access_token: string }> {
    this.counts.token++;
    if (form.get('grant_type') !== 'refresh_token')
      return { ok: false, status: 400, code: 'UNSUPPORTED', message: 'grant_type must be refresh_token' };
    if (form.get('service') !== this.opts.service)
      return { ok: false, status: 400, code: 'INVALID_SERVICE', message: 'unknown service' };
    const refresh = this.valid(form.get('refresh_token') ?? '', 'refresh', region);
    if (!refresh)
      return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'invalid or expired refresh token' };
    const scopes = parseScopes(form.getAll('scope').join(' '));
    if (!scopes) return { ok: false, status: 400, code: 'INVALID_SCOPE', message: 'scope is required' };
    const token = this.mint('access', region, this.opts.accessTtlSeconds(), scopes);
    return { ok: true, value: { access_token: token } };
  }

  /** Does the bearer token allow `action` on `repository` in `region`? */
  allows(authorization: string | undefined, region: string, repository: string, action: string): boolean {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const access = m?.[1] ? this.valid(m[1], 'access', region) : undefined;
    if (!access) return false;
    return access.access.some(
      (g) =>
        g.type === 'repository' &&
        g.name === repository &&
        (g.actions.includes(action) || g.actions.includes('*')),
    );
  }

  /** Forget issued tokens (a key rotation): clients holding them get 401. */
  revoke(kind: 'access' | 'refresh' | 'all'): void {
    for (const [token, info] of this.issued)
      if (kind === 'all' || info.kind === kind) this.issued.delete(token);
  }

  private valid(token: string, kind: Issued['kind'], region: string): Issued | undefined {
    const info = this.issued.get(token);
    if (!info || info.kind !== kind || info.region !== region) return undefined;
    if (info.expMs <= Date.now()) {
      this.issued.delete(token);
      return undefined;
    }
    return info;
  }

  private mint(kind: Issued['kind'], region: string, ttlSeconds: number, access: ScopeGrant[]): string {
    const now = Math.floor(Date.now() / 1000);
    // Whole seconds as in a JWT, rounded up so a token never lives less than its TTL.
    const exp = now + Math.max(1, Math.round(ttlSeconds)) + 1;
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const token = [
      b64({ alg: 'RS256', typ: 'JWT' }),
      b64({
        jti: randomUUID(),
        sub: 'local-dev',
        nbf: now,
        iat: now,
        exp,
        aud: this.opts.service,
        grant_type: kind,
        access,
      }),
      randomBytes(16).toString('base64url'),
    ].join('.');
    this.issued.set(token, { kind, region, service: this.opts.service, expMs: exp * 1000, access });
    return token;
  }
}
