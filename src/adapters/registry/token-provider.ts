// ACR data-plane tokens from Entra ID: Entra token -> /oauth2/exchange (refresh token, per
// registry host) -> /oauth2/token (access token, per host and scope). Both are cached until
// shortly before they expire, and concurrent callers share one in-flight request per key.
import type { TokenCredential } from '@azure/core-auth';
import { z } from 'zod';
import { errorMessage, safeJson } from '../../core/platform';
import type { BearerChallenge } from './challenge';
import { AcrRequestError, type AcrHttp, redact } from './http';

export const ACR_ENTRA_SCOPE = 'https://containerregistry.azure.net/.default';

/** Lifetimes assumed when a token is not a JWT (ACR's refresh tokens live about 3 h). */
const DEFAULT_REFRESH_TTL_MS = 3 * 60 * 60 * 1000;
const DEFAULT_ACCESS_TTL_MS = 60 * 60 * 1000;
const MAX_MARGIN_MS = 5 * 60 * 1000;

export class AcrAuthError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AcrAuthError';
  }
}

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is not used any more. */
  useUntil: number;
}

const tokenBodies = {
  refresh_token: z.object({ refresh_token: z.string().min(1) }),
  access_token: z.object({ access_token: z.string().min(1) }),
};

/** The token a token endpoint answered with; `who` names the endpoint in the error. */
function tokenFrom(body: string, field: keyof typeof tokenBodies, who: string): string {
  const parsed = tokenBodies[field].safeParse(safeJson(body));
  if (!parsed.success) throw new AcrAuthError(`${who} answered without ${field}`);
  return (parsed.data as Record<typeof field, string>)[field];
}

/** Claims of a JWT without verifying it: used only for expiry and tenant hints. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  const claims = safeJson(Buffer.from(parts[1], 'base64url').toString('utf8'));
  return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
}

/** Use a token until its expiry minus a margin (20 % of its life, at most 5 minutes). */
export function useUntil(token: string, nowMs: number, defaultTtlMs: number): number {
  const exp = jwtClaims(token)?.exp;
  const expiresAt = typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : nowMs + defaultTtlMs;
  const life = Math.max(0, expiresAt - nowMs);
  return expiresAt - Math.min(MAX_MARGIN_MS, life * 0.2);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AcrRequestError('aborted by caller', 'aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AcrRequestError('aborted by caller', 'aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export interface AcrTokenProviderOptions {
  credential: TokenCredential;
  http: AcrHttp;
  /** Origins a realm may point at besides the host that sent the challenge (the home registry). */
  trustedOrigins: string[];
  /** Bound on the Entra token request (credentials have their own retries). */
  entraTimeoutMs?: number;
  now?: () => number;
}

export class AcrTokenProvider {
  private readonly refreshTokens = new Map<string, CachedToken>();
  private readonly accessTokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly now: () => number;

  constructor(private readonly opts: AcrTokenProviderOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * An access token for `scope` at the registry that sent `challenge` to `calledUrl`.
   * The realm must be on the called host or a trusted one: our Entra token goes there.
   */
  accessToken(
    calledUrl: string,
    challenge: BearerChallenge,
    scope: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const realm = this.checkRealm(calledUrl, challenge.realm);
    const key = `${realm.href}|${challenge.service}|${scope}`;
    const cached = this.accessTokens.get(key);
    if (cached && cached.useUntil > this.now()) return Promise.resolve(cached.value);
    return raceAbort(
      this.singleFlight(`access|${key}`, () => this.fetchAccessToken(realm, challenge.service, scope, key)),
      signal,
    );
  }

  /** Forget an access token the registry refused (a 401 on a cached token). */
  dropAccessToken(calledUrl: string, challenge: BearerChallenge, scope: string, token: string): void {
    const realm = this.checkRealm(calledUrl, challenge.realm);
    const key = `${realm.href}|${challenge.service}|${scope}`;
    if (this.accessTokens.get(key)?.value === token) this.accessTokens.delete(key);
  }

  private checkRealm(calledUrl: string, realmRaw: string): URL {
    let realm: URL;
    try {
      realm = new URL(realmRaw);
    } catch {
      throw new AcrAuthError(`registry challenge realm is not a URL: ${realmRaw.slice(0, 200)}`);
    }
    const allowed = new Set([new URL(calledUrl).origin, ...this.opts.trustedOrigins]);
    if (!allowed.has(realm.origin) || realm.username || realm.password)
      throw new AcrAuthError(
        `registry challenge realm ${realm.origin} is not the registry host; refusing to send a token`,
      );
    if (!/\/oauth2\/token$/.test(realm.pathname))
      throw new AcrAuthError(`registry challenge realm ${redact(realm.href)} does not end in /oauth2/token`);
    return realm;
  }

  private singleFlight(key: string, run: () => Promise<string>): Promise<string> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const p = run().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async fetchAccessToken(realm: URL, service: string, scope: string, key: string): Promise<string> {
    const refreshKey = `${realm.href}|${service}`;
    for (let round = 1; ; round++) {
      const refresh = await this.refreshToken(realm, service, refreshKey);
      const res = await this.opts.http.send(
        {
          method: 'POST',
          url: realm.href,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            service,
            scope,
            refresh_token: refresh,
          }).toString(),
        },
        'token',
      );
      // A refused refresh token (revoked, expired early) is dropped and exchanged again, once.
      if ((res.status === 401 || res.status === 400) && round === 1) {
        if (this.refreshTokens.get(refreshKey)?.value === refresh) this.refreshTokens.delete(refreshKey);
        continue;
      }
      if (res.status !== 200)
        throw new AcrAuthError(`ACR token endpoint answered ${res.status} for ${scope}`, res.status);
      const token = tokenFrom(res.body, 'access_token', 'ACR token endpoint');
      return this.remember(this.accessTokens, key, token, DEFAULT_ACCESS_TTL_MS);
    }
  }

  private remember(
    cache: Map<string, CachedToken>,
    key: string,
    token: string,
    defaultTtlMs: number,
  ): string {
    cache.set(key, { value: token, useUntil: useUntil(token, this.now(), defaultTtlMs) });
    return token;
  }

  private refreshToken(realm: URL, service: string, refreshKey: string): Promise<string> {
    const cached = this.refreshTokens.get(refreshKey);
    if (cached && cached.useUntil > this.now()) return Promise.resolve(cached.value);
    return this.singleFlight(`refresh|${refreshKey}`, async () => {
      const entra = await this.entraToken();
      const form = new URLSearchParams({ grant_type: 'access_token', service });
      const tid = jwtClaims(entra)?.tid;
      if (typeof tid === 'string' && tid.length > 0) form.set('tenant', tid);
      form.set('access_token', entra);
      const exchangeUrl = new URL(realm.href);
      exchangeUrl.pathname = realm.pathname.replace(/\/token$/, '/exchange');
      exchangeUrl.search = '';
      const res = await this.opts.http.send(
        {
          method: 'POST',
          url: exchangeUrl.href,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: form.toString(),
        },
        'token',
      );
      if (res.status !== 200) throw new AcrAuthError(`ACR token exchange answered ${res.status}`, res.status);
      const token = tokenFrom(res.body, 'refresh_token', 'ACR token exchange');
      return this.remember(this.refreshTokens, refreshKey, token, DEFAULT_REFRESH_TTL_MS);
    });
  }

  private async entraToken(): Promise<string> {
    const timeout = AbortSignal.timeout(this.opts.entraTimeoutMs ?? 15_000);
    const token = await raceAbort(
      this.opts.credential.getToken(ACR_ENTRA_SCOPE, { abortSignal: timeout }),
      timeout,
    ).catch((e: unknown) => {
      throw new AcrAuthError(`could not get an Entra token for ACR: ${errorMessage(e)}`);
    });
    if (!token?.token) throw new AcrAuthError('the credential returned no Entra token for ACR');
    return token.token;
  }
}
