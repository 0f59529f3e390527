// A valid configuration for tests, built through the real schema.
import { parseConfig, type AppConfig } from '../../src/app/config/schema';

export const SUB = '00000000-0000-0000-0000-000000000000';
export const clusterId = (region: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-${region}/providers/Microsoft.ContainerService/managedClusters/aks-${region}`;

export interface TestConfigOptions {
  regions?: Array<string | { name: string; wave?: number }>;
  home?: string;
  workloads?: Array<Record<string, unknown>>;
  policy?: Record<string, unknown>;
  env?: Record<string, string>;
}

export function testRolloutConfig(o: TestConfigOptions = {}): Record<string, unknown> {
  const regions = (o.regions ?? ['eastus', 'westeurope', 'southeastasia']).map((r) =>
    typeof r === 'string' ? { name: r } : r,
  );
  return {
    registry: {
      loginServer: 'myregistry.azurecr.io',
      homeRegion: o.home ?? regions[0]!.name,
      endpoint: 'http://127.0.0.1:9/home',
      regionalEndpoint: 'http://127.0.0.1:9/{region}',
    },
    regions: regions.map((r) => ({ access: 'run-command', ...r, cluster: clusterId(r.name) })),
    workloads: o.workloads ?? [
      {
        repository: 'my-app',
        tags: ['*'],
        namespace: 'default',
        kind: 'Deployment',
        name: 'my-app',
        container: 'my-app',
      },
    ],
    policy: {
      replicationTimeoutSeconds: 600,
      rolloutTimeoutSeconds: 120,
      bakeSeconds: 0,
      maxAttempts: 3,
      retryBaseSeconds: 10,
      replicaCheckIntervalSeconds: 5,
      rolloutPollIntervalSeconds: 5,
      ...(o.policy ?? {}),
    },
  };
}

export function testConfig(o: TestConfigOptions = {}): AppConfig {
  return parseConfig({
    ROLLOUT_CONFIG: JSON.stringify(testRolloutConfig(o)),
    WEBHOOK_SECRETS: 'test-secret-0123456789,test-secret-rotated-0123',
    ROLLOUT_STORAGE: 'UseDevelopmentStorage=true',
    ARM_ENDPOINT: 'http://127.0.0.1:9',
    LOCAL_DEV_TOKEN: 'local-dev-token',
    WEBHOOK_NUDGE_BUDGET_MS: '0',
    ...(o.env ?? {}),
  });
}
