// Authorised calls to one registry host (the home endpoint or one regional endpoint): the first
// call learns the host's Bearer challenge, later calls reuse its cached token, and a 401 on a
// cached token drops it and retries exactly once.
import { parseBearerChallenge, type BearerChallenge } from './challenge';
import type { AcrHttp, AcrResponse } from './http';
import type { AcrTokenProvider } from './token-provider';

export interface RegistryCall {
  method: 'GET' | 'HEAD';
  /** Base URL of the host (no trailing slash), e.g. https://myregistry.westeurope.geo.azurecr.io. */
  base: string;
  /** Path under the base, already encoded, starting with '/'. */
  path: string;
  headers?: Record<string, string>;
  /** e.g. repository:my-app:pull */
  scope: string;
}

export class AcrClient {
  /** The challenge each base URL sent last: every regional endpoint is its own host. */
  private readonly challenges = new Map<string, BearerChallenge>();

  constructor(
    private readonly http: AcrHttp,
    private readonly tokens: AcrTokenProvider,
  ) {}

  async call(call: RegistryCall, signal?: AbortSignal): Promise<AcrResponse> {
    const url = `${call.base}${call.path}`;
    const known = this.challenges.get(call.base);
    let token = known ? await this.tokens.accessToken(url, known, call.scope, signal) : undefined;
    let res = await this.send(call, url, token, signal);
    if (res.status !== 401) return res;

    const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
    if (!challenge) return res;
    if (known && token) this.tokens.dropAccessToken(url, known, call.scope, token);
    this.challenges.set(call.base, challenge);
    token = await this.tokens.accessToken(url, challenge, call.scope, signal);
    res = await this.send(call, url, token, signal);
    return res;
  }

  private send(
    call: RegistryCall,
    url: string,
    token: string | undefined,
    signal?: AbortSignal,
  ): Promise<AcrResponse> {
    const headers: Record<string, string> = { ...(call.headers ?? {}) };
    if (token) headers.Authorization = `Bearer ${token}`;
    return this.http.send({ method: call.method, url, headers }, 'registry', signal);
  }
}

/** Encodes a validated repository: slashes stay path separators, each component is encoded. */
export function repositoryPath(repository: string): string {
  return repository.split('/').map(encodeURIComponent).join('/');
}
