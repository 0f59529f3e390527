// The composition root: settings parsed once per settings object, lazily (never at import), and
// the real adapters built from them. Locally the same adapters talk to the simulators through
// LOCAL_DEV_TOKEN and loopback endpoints, so nothing here knows whether Azure is real.
import { realSleep, createCredential } from '../adapters/platform';
import { createAcrAdapters, type AcrAdapters } from '../adapters/registry';
import {
  createAccessRouter,
  createAksExecutor,
  type AksExecutor,
  K8sCredentials,
  createK8sExecutor,
  type K8sExecutor,
} from '../adapters/clusters';
import { sendNotification } from '../adapters/notify';
import { openTableRolloutStore, type TableRolloutStore } from '../adapters/tables';
import { WakeQueue, noWakeQueue } from '../adapters/wakeups';
import type { RolloutExecutorPort, WakeupPort } from '../core/model';
import { systemClock } from '../core/model';
import { parseConfig, type AppConfig } from './config';
import type { Deps } from './platform';
import { otelMetrics } from './platform';
import { WakeupSchedule } from './wakeups';

export interface AppDeps extends Deps {
  store: TableRolloutStore;
  acr: AcrAdapters;
  executor: RolloutExecutorPort;
  /** The Run Command path (regions with access "run-command"). */
  runCommand: AksExecutor;
  /** The Kubernetes API path (regions with access "kubernetes-api", the default). */
  kubernetesApi: K8sExecutor;
}

/** Each region's access mode routes its rollouts to the Kubernetes API or to Run Command. */
function buildExecutors(config: AppConfig, credential: ReturnType<typeof createCredential>) {
  const runCommand = createAksExecutor({ armEndpoint: config.armEndpoint, credential });
  const credentials = new K8sCredentials({ armEndpoint: config.armEndpoint, credential });
  const region = (name: string) => config.regions.find((r) => r.name === name);
  const kubernetesApi = createK8sExecutor({
    connect: (req, signal) => credentials.connect(req, signal),
    onUnauthorized: (cluster) => credentials.forget(cluster),
    allowLocalAccounts: (name) => region(name)?.allowLocalAccounts === true,
    failFastSeconds: config.policy.failFastSeconds ?? 120,
  });
  const executor = createAccessRouter({
    accessOf: (name) => region(name)?.access ?? 'kubernetes-api',
    kubernetesApi,
    runCommand,
  });
  return { executor, runCommand, kubernetesApi };
}

export function buildDeps(config: AppConfig): AppDeps {
  const credential = createCredential(config);
  const store = openTableRolloutStore(
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
  const { executor, runCommand, kubernetesApi } = buildExecutors(config, credential);
  const q = config.queue;
  const wakeups: WakeupPort = q
    ? new WakeQueue({
        connection:
          q.kind === 'connectionString'
            ? { kind: 'connectionString', connectionString: q.connectionString }
            : { kind: 'identity', queueServiceUri: q.queueServiceUri, credential },
        queueName: q.queueName,
        sleep: realSleep,
      })
    : noWakeQueue;
  return {
    config,
    store,
    acr,
    replicaStatus: acr.replicaStatus,
    registryListing: acr.registryListing,
    pushVerifier: acr.pushVerifier,
    executor,
    runCommand,
    kubernetesApi,
    clock: systemClock,
    random: Math.random,
    sleep: realSleep,
    outbox: store,
    notify: sendNotification,
    metrics: otelMetrics(),
    wakeups,
    wakeupSchedule: new WakeupSchedule(),
  };
}

type Settings = Record<string, string | undefined>;

// One set of dependencies per settings object, kept while that object lives. In Azure that is
// process.env, read once per process (the host restarts when settings change, so a later edit
// of the same object is deliberately not seen); tests and the local host pass their own object
// and get their own deps, instead of a global cache that ignored every env after the first.
const built = new WeakMap<Settings, AppDeps>();

/** The dependencies for these settings; a ConfigError here names every invalid setting. */
export function appDeps(env: Settings = process.env): AppDeps {
  let deps = built.get(env);
  if (!deps) {
    deps = buildDeps(parseConfig(env));
    built.set(env, deps);
  }
  return deps;
}
