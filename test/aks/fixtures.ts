// Shared fixtures of the AKS tests: clusters, workloads and rollout requests.
import type { Workload } from '../../src/core/model/records';
import type { RolloutRequest } from '../../src/core/model/ports';
import type { SimClusterConfig } from '../../dev/aks-simulator';

/** A well-formed release id (src/core/intake/release-id.ts), as the reconciler passes it. */
export const RELEASE_ID = '8204255882822-1c616eb79d5e';

export const TOKEN = 'local-dev-token-for-aks-tests';
export const SUB = '00000000-0000-0000-0000-000000000000';
export const LOGIN_SERVER = 'myregistry.azurecr.io';
export const REPO = 'team/my-app';
export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;

export function clusterId(name: string, rg = 'rg-aks'): string {
  return `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

export const OLD_IMAGE = `${LOGIN_SERVER}/${REPO}@sha256:${'0'.repeat(64)}`;

export function workload(overrides: Partial<Workload> = {}): Workload {
  return {
    repository: REPO,
    tags: ['*'],
    namespace: 'shop',
    kind: 'Deployment',
    name: 'web',
    container: 'app',
    ...overrides,
  };
}

export function request(
  overrides: Partial<RolloutRequest> = {},
  image: Partial<RolloutRequest['image']> = {},
): RolloutRequest {
  return {
    releaseId: RELEASE_ID,
    region: 'westeurope',
    cluster: clusterId('aks-weu'),
    workloads: [workload()],
    image: { loginServer: LOGIN_SERVER, repository: REPO, digest: DIGEST_A, tag: '1.4.0', ...image },
    timeoutSeconds: 120,
    ...overrides,
  };
}

export function simCluster(
  name: string,
  region: string,
  extra: Partial<SimClusterConfig> = {},
): SimClusterConfig {
  return {
    resourceId: clusterId(name),
    region,
    workloads: [
      {
        namespace: 'shop',
        kind: 'Deployment',
        name: 'web',
        containers: [
          { name: 'app', image: OLD_IMAGE },
          { name: 'sidecar', image: 'mcr.microsoft.com/oss/envoy:v1' },
        ],
      },
      { namespace: 'shop', kind: 'StatefulSet', name: 'db', containers: [{ name: 'app', image: OLD_IMAGE }] },
      {
        namespace: 'infra',
        kind: 'DaemonSet',
        name: 'agent',
        containers: [{ name: 'agent', image: OLD_IMAGE }],
      },
    ],
    ...extra,
  };
}
