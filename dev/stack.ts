// The whole product on one machine: an in-memory Azurite, the geo-replicated ACR simulator, the
// ARM/AKS simulator (sharing the ACR's view of which replica holds which digest) and the local
// host serving the real functions, wired as in Azure: one regional webhook per replica region
// pointing at /api/acr/events/<region>. The demo, the end-to-end tests and the benchmarks use it.
import { AcrSimulator, type DelaySpec } from './acr-simulator';
import { AksSimulator, findKubectl } from './aks-simulator';
import { startAzurite, type AzuriteHandle } from './azurite';
import { K8sSimulator } from './k8s-simulator';
import { startLocalHost, type LocalHost, type LocalHostOptions } from './local-host';
import { FaultyWakeups, type WakeupFaults } from './wakeup-faults';
import { workloadKey, type RegionAccess } from '../src/core/model/records';
import type { WorkloadKind } from '../src/core/model/names';
import { appDeps } from '../src/app/composition';
import { WakeupSchedule } from '../src/app/wakeups/schedule-wakeups';

export const STACK_SECRET = 'local-stack-webhook-secret-0001';
export const STACK_TOKEN = 'local-dev-token';
const SUB = '00000000-0000-0000-0000-000000000000';
export const stackClusterId = (region: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-${region}/providers/Microsoft.ContainerService/managedClusters/aks-${region}`;
export const OLD_DIGEST = `sha256:${'0'.repeat(64)}`;

export interface StackWorkload {
  repository: string;
  tags?: string[];
  namespace?: string;
  kind?: WorkloadKind;
  name: string;
  container?: string;
  regions?: string[];
}

export interface StackOptions {
  /**
   * Give every region's cluster a Kubernetes API simulator (TLS, clock following wall time): the
   * kubernetes-api path talks to it, and the AKS simulator runs Run Command scripts with the real
   * kubectl against it, so both paths act on one cluster state. Off: the in-process AKS clusters.
   * A run-command region on a machine without kubectl on PATH keeps its in-process AKS cluster
   * (its scripts run through the simulator's own tokenizer-based executor): see Stack.withoutKubectl.
   */
  kubernetes?: boolean;
  /** regions[].access per region (default: kubernetes-api with `kubernetes`, else run-command). */
  access?: Record<string, RegionAccess>;
  /** The ACR simulator's regional event timestamps (see AcrSimulatorOptions.regionalTimestamp). */
  regionalTimestamp?: 'landing' | 'push';
  regions?: string[];
  home?: string;
  /** Replication delay per non-home region (ms, or [min, max]). */
  delays?: Record<string, DelaySpec>;
  defaultDelayMs?: DelaySpec;
  seed?: number;
  workloads?: StackWorkload[];
  /** 'regional' (default): one webhook per region; 'home-only': only the home region's; 'none'. */
  webhooks?: 'regional' | 'home-only' | 'none';
  /**
   * Also (or only, with webhooks 'none') deliver pushes as the registry's Event Grid subscription
   * would, to the host's Event Grid endpoint (retried until answered 2xx). Default false.
   */
  eventGrid?: boolean;
  /** Seconds between timer runs (default 2). */
  reconcileEverySeconds?: number;
  /** Run the timer on its schedule (default true); tests may step it with host.runTimers(). */
  timers?: boolean;
  /**
   * Serve the queue trigger `advance` (wake-ups at each rollout's due time) from Azurite's queue;
   * default: as `timers` (a test that steps the reconciler itself keeps it from running on its own).
   */
  queues?: boolean;
  /** Chaos: faults on the app's wake-up sends (lost, duplicated, delayed); stack.wakeups changes them. */
  wakeupFaults?: WakeupFaults;
  /** The local queue trigger's host settings and injected invocation failures. */
  queueHost?: LocalHostOptions['queueHost'];
  policy?: Record<string, unknown>;
  extraSettings?: Record<string, string>;
  rolloutMs?: number;
  pullFailureDelayMs?: number;
  /** Where function logs go (default: dropped). */
  log?: (level: string, message: string) => void;
  logRequests?: boolean;
  hostPort?: number;
  /** Ports of the simulators (default: free ports). */
  acrPort?: number;
  aksPort?: number;
  /** Azurite's table port (default: a free port). */
  azuritePort?: number;
  /**
   * Azurite keeps its tables on disk in this directory (instead of in memory), so
   * stack.restartAzurite() can stop it and start it again on the same port with the data intact.
   */
  azuriteLocation?: string;
}

export interface Stack {
  acr: AcrSimulator;
  aks: AksSimulator;
  /** With `kubernetes`: each region's Kubernetes API simulator. */
  k8s: Record<string, K8sSimulator>;
  /** regions[].access as configured. */
  access: Record<string, RegionAccess>;
  /**
   * With `kubernetes` and no kubectl on PATH: the run-command regions whose scripts the AKS
   * simulator runs with its own executor on its in-process cluster instead of sh + kubectl.
   */
  withoutKubectl: string[];
  /** What each region's cluster runs: `namespace/Kind/name/container` -> image. */
  images(region: string): Record<string, string>;
  /** Pulls refused because the region's replica lacked the digest (never expected). */
  pullFailures(region?: string): number;
  host: LocalHost;
  /** The fault layer over the app's wake-up sends (with `wakeupFaults`). */
  wakeups?: FaultyWakeups | undefined;
  azurite: AzuriteHandle;
  settings: Record<string, string>;
  regions: string[];
  home: string;
  /** GET on the app's own JSON API (the status functions). */
  api<T = unknown>(path: string): Promise<T>;
  /**
   * Stops Azurite gracefully (it flushes to disk), keeps it down for `downMs`, and starts it again
   * on the same port. Data survives only with `azuriteLocation`; in memory it comes back empty.
   */
  restartAzurite(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const regions = o.regions ?? ['eastus', 'westeurope', 'southeastasia'];
  const home = o.home ?? regions[0]!;
  const wl = (o.workloads ?? [{ repository: 'my-app', name: 'my-app' }]).map((w) => ({
    repository: w.repository,
    tags: w.tags ?? ['*'],
    namespace: w.namespace ?? 'default',
    kind: w.kind ?? ('Deployment' as const),
    name: w.name,
    container: w.container ?? w.name,
    ...(w.regions ? { regions: w.regions } : {}),
  }));

  const azuritePort = o.azuritePort || undefined;
  let azurite = o.azuriteLocation
    ? await startAzurite({ location: o.azuriteLocation, port: azuritePort })
    : await startAzurite({ inMemory: true, port: azuritePort });
  const acr = await AcrSimulator.start({
    port: o.acrPort ?? 0,
    regions,
    home,
    delays: o.delays,
    defaultDelayMs: o.defaultDelayMs ?? 1000,
    seed: o.seed ?? 1,
    regionalTimestamp: o.regionalTimestamp,
  });
  const access: Record<string, RegionAccess> = Object.fromEntries(
    regions.map((r) => [r, o.access?.[r] ?? (o.kubernetes ? 'kubernetes-api' : 'run-command')]),
  );
  // Run Command against a Kubernetes API simulator needs the real kubectl; without one the
  // region's cluster stays in process, where the simulator executes the script itself.
  const withoutKubectl =
    o.kubernetes && findKubectl() === undefined ? regions.filter((r) => access[r] === 'run-command') : [];
  const k8s: Record<string, K8sSimulator> = {};
  const refusedPulls: Array<{ region: string; digest: string }> = [];
  if (o.kubernetes)
    await startKubernetes(
      k8s,
      regions.filter((r) => !withoutKubectl.includes(r)),
      wl,
      acr,
      o,
      refusedPulls,
    );
  const aks = await AksSimulator.start({
    port: o.aksPort ?? 0,
    token: STACK_TOKEN,
    replicaHolds: acr.holds,
    rolloutMs: o.rolloutMs ?? 300,
    pullFailureDelayMs: o.pullFailureDelayMs ?? 300,
    seed: o.seed ?? 1,
    clusters: regions.map((region) => ({
      resourceId: stackClusterId(region),
      region,
      ...(k8s[region]
        ? {
            aadManaged: true,
            kubernetesApi: { url: k8s[region].url, ca: k8s[region].ca ?? '', token: STACK_TOKEN },
          }
        : {}),
      workloads: wl
        .filter((w) => !w.regions || w.regions.includes(region))
        .map((w) => ({
          namespace: w.namespace,
          kind: w.kind,
          name: w.name,
          containers: [{ name: w.container, image: `${acr.loginServer}/${w.repository}@${OLD_DIGEST}` }],
        })),
    })),
  });

  const rolloutConfig = {
    registry: {
      loginServer: acr.loginServer,
      homeRegion: home,
      endpoint: acr.endpoint,
      regionalEndpoint: acr.regionalEndpoint,
    },
    regions: regions.map((name) => ({ name, cluster: stackClusterId(name), access: access[name] })),
    workloads: wl,
    policy: {
      replicationTimeoutSeconds: 600,
      rolloutTimeoutSeconds: 60,
      bakeSeconds: 0,
      maxAttempts: 3,
      retryBaseSeconds: 2,
      replicaCheckIntervalSeconds: 1,
      rolloutPollIntervalSeconds: 0.5,
      ...(o.policy ?? {}),
    },
  };
  const every = o.reconcileEverySeconds ?? 2;
  const settings: Record<string, string> = {
    ROLLOUT_CONFIG: JSON.stringify(rolloutConfig),
    ROLLOUT_STORAGE: azurite.connectionString,
    WEBHOOK_SECRETS: STACK_SECRET,
    ARM_ENDPOINT: aks.url,
    LOCAL_DEV_TOKEN: STACK_TOKEN,
    RECONCILE_SCHEDULE: `*/${every} * * * * *`,
    WEBHOOK_NUDGE_BUDGET_MS: '2500',
    RECONCILE_BUDGET_SECONDS: '50',
    DRY_RUN: 'false',
    ...(o.extraSettings ?? {}),
  };
  // With wakeupFaults, the functions send their wake-ups through the fault layer.
  let faulty: FaultyWakeups | undefined;
  // The fault layer is a queue of its own to the app: its sends keep their own schedule.
  let schedule: WakeupSchedule | undefined;
  const resolveDeps = o.wakeupFaults
    ? () => {
        const deps = appDeps(settings);
        if (!deps.config.queue) return deps;
        faulty ??= new FaultyWakeups(deps.wakeups, o.wakeupFaults, o.seed ?? 1);
        schedule ??= new WakeupSchedule();
        return { ...deps, wakeups: faulty, wakeupSchedule: schedule };
      }
    : undefined;
  const host = await startLocalHost({
    port: o.hostPort ?? 0,
    settings,
    resolveDeps,
    queueHost: o.queueHost,
    timers: o.timers !== false,
    queues: o.queues ?? o.timers !== false,
    logRequests: o.logRequests ?? false,
    log: o.log ?? (() => undefined),
  });
  const mode = o.webhooks ?? 'regional';
  acr.setWebhooks([
    ...(mode === 'none'
      ? []
      : regions
          .filter((r) => mode === 'regional' || r === home)
          .map((region) => ({
            region,
            url: `${host.url}/api/acr/events/${region}`,
            headers: { Authorization: `Bearer ${STACK_SECRET}` },
            actions: ['push', 'delete', 'quarantine'] as Array<'push' | 'delete' | 'quarantine'>,
          }))),
    ...(o.eventGrid
      ? [
          {
            region: home,
            url: `${host.url}/runtime/webhooks/eventgrid?functionName=acrEventGrid`,
            schema: 'event-grid' as const,
            actions: ['push'] as Array<'push'>,
          },
        ]
      : []),
  ]);

  if (resolveDeps) resolveDeps(); // builds the fault layer now, so stack.wakeups is set
  const stack: Stack = {
    wakeups: faulty,
    acr,
    aks,
    k8s,
    access,
    withoutKubectl,
    images: (region) => (k8s[region] ? k8sImages(k8s[region], wl) : aks.images(`aks-${region}`)),
    // Pulls refused by the Kubernetes API simulators plus those of in-process clusters.
    pullFailures: (region) =>
      refusedPulls.filter((p) => region === undefined || p.region === region).length +
      aks.pullFailures(region === undefined ? undefined : `aks-${region}`),
    host,
    azurite,
    settings,
    regions,
    home,
    api: async <T>(path: string) => {
      const res = await fetch(`${host.url}${path}`);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    restartAzurite: async (downMs = 0) => {
      const { port, queuePort } = azurite;
      await azurite.stop();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      azurite = o.azuriteLocation
        ? await startAzurite({ location: o.azuriteLocation, port, queuePort })
        : await startAzurite({ inMemory: true, port, queuePort });
      stack.azurite = azurite;
    },
    stop: async () => {
      await host.stop();
      await Promise.allSettled([acr.stop(), aks.stop(), ...Object.values(k8s).map((k) => k.stop())]);
      await azurite.stop();
    },
  };
  return stack;
}

type StackWorkloadFull = Required<Omit<StackWorkload, 'regions'>> & { regions?: string[] };

/** One Kubernetes API simulator per region, seeded with the region's workloads on the old digest. */
async function startKubernetes(
  k8s: Record<string, K8sSimulator>,
  regions: string[],
  wl: StackWorkloadFull[],
  acr: AcrSimulator,
  o: StackOptions,
  refusedPulls: Array<{ region: string; digest: string }>,
): Promise<void> {
  for (const region of regions) {
    const sim = new K8sSimulator({
      identities: [{ token: STACK_TOKEN, user: 'acr-geo-rollout' }],
      replicaHas: (digest, image) => {
        const repository = /^[^/]+\/(.+)@/.exec(image)?.[1] ?? '';
        // The seeded image was running before the stack existed: its pulls are not checked.
        const ok = digest === OLD_DIGEST || acr.holds(region, repository, digest) === true;
        if (!ok && !refusedPulls.some((p) => p.region === region && p.digest === digest))
          refusedPulls.push({ region, digest });
        return ok;
      },
      timings: { podReadyMs: o.rolloutMs ?? 300, pullBackoffMs: o.pullFailureDelayMs ?? 300 },
    });
    await sim.start();
    for (const w of wl.filter((x) => !x.regions || x.regions.includes(region)))
      sim.seed({
        kind: w.kind,
        namespace: w.namespace,
        name: w.name,
        containers: [{ name: w.container, image: `${acr.loginServer}/${w.repository}@${OLD_DIGEST}` }],
        replicas: 2,
      });
    sim.runClock(100, 1);
    k8s[region] = sim;
  }
}

function k8sImages(sim: K8sSimulator, wl: StackWorkloadFull[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of wl) {
    const image = sim.imageOf(w.kind, w.namespace, w.name, w.container);
    if (image !== undefined) out[`${w.namespace}/${w.kind}/${w.name}/${w.container}`] = image;
  }
  return out;
}

/** The app's own dependencies inside the running stack (tests read the store through them). */
export const stackDeps = (stack: Stack) => appDeps(stack.settings);
export { workloadKey };
