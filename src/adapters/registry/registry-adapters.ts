// Builds the registry readiness adapters over one shared HTTP layer and token cache, so the
// replica check and the tag scan reuse tokens and report one set of request counters.
import type { TokenCredential } from '@azure/core-auth';
import type { PushVerifierPort, RegistryListingPort, ReplicaStatusPort } from '../../core/model';
import { AcrClient } from './client';
import { AcrHttp } from './http';
import { AcrPushVerifier } from './push-verifier';
import { AcrRegistryListing } from './tag-listing';
import { AcrReplicaStatus } from './replica-status';
import { AcrTokenProvider } from './token-provider';
import type { Sleep } from '../../core/platform';

export interface AcrAdaptersConfig {
  /** Home registry base URL, e.g. https://myregistry.azurecr.io (AppConfig.registry.endpoint). */
  endpoint: string;
  /** Regional endpoint template with {region} (AppConfig.registry.regionalEndpoint). */
  regionalEndpoint?: string | undefined;
  credential: TokenCredential;
  /** Per-attempt timeout; default 2000 ms. */
  timeoutMs?: number;
  /** Attempts per request including retries; default 3. */
  maxAttempts?: number;
  /** Cap over all attempts and waits of one request; default 3 x timeoutMs + 2 s. */
  totalBudgetMs?: number;
  /** First backoff ceiling; default 200 ms. */
  backoffBaseMs?: number;
  fetchImpl?: typeof fetch;
  random?: () => number;
  /** Waits between attempts (real timers by default); tests pass one that returns at once. */
  sleep?: Sleep;
}

export interface AcrAdapters {
  replicaStatus: ReplicaStatusPort;
  registryListing: RegistryListingPort;
  /** Checks a webhook's push against the home registry. */
  pushVerifier: PushVerifierPort;
  /** HTTP requests made so far: registry calls (retries included) and token endpoint calls. */
  stats: () => { requests: number; tokenRequests: number };
}

export function createAcrAdapters(cfg: AcrAdaptersConfig): AcrAdapters {
  const timeoutMs = cfg.timeoutMs ?? 2000;
  const http = new AcrHttp({
    fetchImpl: cfg.fetchImpl ?? fetch,
    timeoutMs,
    maxAttempts: Math.max(1, cfg.maxAttempts ?? 3),
    totalBudgetMs: cfg.totalBudgetMs ?? 3 * timeoutMs + 2000,
    backoffBaseMs: cfg.backoffBaseMs ?? 200,
    random: cfg.random ?? Math.random,
    sleep: cfg.sleep,
  });
  const tokens = new AcrTokenProvider({
    credential: cfg.credential,
    http,
    // Regional endpoints may send the global registry as realm; nothing else is trusted.
    trustedOrigins: [new URL(cfg.endpoint).origin],
  });
  const client = new AcrClient(http, tokens);
  return {
    replicaStatus: new AcrReplicaStatus(client, cfg.regionalEndpoint),
    registryListing: new AcrRegistryListing(client, cfg.endpoint),
    pushVerifier: new AcrPushVerifier(client, cfg.endpoint),
    stats: () => ({ ...http.counters }),
  };
}
