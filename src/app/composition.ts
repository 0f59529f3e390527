// The composition root: settings parsed once, lazily (never at import), and the real adapters
// built from them. Locally the same adapters talk to the simulators through LOCAL_DEV_TOKEN and
// loopback endpoints, so nothing here knows whether Azure is real.
import { createAcrAdapters, type AcrAdapters } from '../adapters/acr-adapters';
import { createAksExecutor, type AksExecutor } from '../adapters/aks-executor';
import { createCredential } from '../adapters/credential';
import { TableRolloutStore } from '../adapters/table-store';
import { systemClock } from '../core/ports';
import { parseConfig, type AppConfig } from './config';
import type { Deps } from './deps';

export interface AppDeps extends Deps {
  store: TableRolloutStore;
  acr: AcrAdapters;
  executor: AksExecutor;
}

export function buildDeps(config: AppConfig): AppDeps {
  const credential = createCredential(config);
  const store = new TableRolloutStore(
    config.storage.kind === 'connectionString'
      ? config.storage
      : { kind: 'identity', tableServiceUri: config.storage.tableServiceUri, credential },
    config.tablePrefix,
  );
  const acr = createAcrAdapters({
    endpoint: config.registry.endpoint,
    regionalEndpoint: config.registry.regionalEndpoint,
    credential,
  });
  const executor = createAksExecutor({ armEndpoint: config.armEndpoint, credential });
  return {
    config,
    store,
    acr,
    replicaStatus: acr.replicaStatus,
    registryListing: acr.registryListing,
    executor,
    clock: systemClock,
    random: Math.random,
  };
}

let cached: AppDeps | undefined;

/** The process-wide dependencies; a ConfigError here names every invalid setting. */
export function appDeps(env: Record<string, string | undefined> = process.env): AppDeps {
  cached ??= buildDeps(parseConfig(env));
  return cached;
}

/** For hosts that change settings between runs (tests, the local host on reload). */
export function resetAppDeps(): void {
  cached = undefined;
}
