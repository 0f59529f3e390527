// The legacy (non-aggregated) discovery documents kubectl reads to map `deploy`, `sts`, ... to
// resources. kubectl asks for aggregated discovery first and falls back to these when the
// answer is plain application/json, as an older API server would answer.
import { RESOURCES, KIND_OF, groupOf, type Resource } from './store';

const VERBS = ['get', 'list', 'watch', 'patch'];
const SHORT: Record<Resource, string[]> = {
  deployments: ['deploy'],
  statefulsets: ['sts'],
  daemonsets: ['ds'],
  replicasets: ['rs'],
  pods: ['po'],
};
const SINGULAR: Record<Resource, string> = {
  deployments: 'deployment',
  statefulsets: 'statefulset',
  daemonsets: 'daemonset',
  replicasets: 'replicaset',
  pods: 'pod',
};

function resourceEntry(r: Resource) {
  return {
    name: r,
    singularName: SINGULAR[r],
    namespaced: true,
    kind: KIND_OF[r],
    verbs: VERBS,
    shortNames: SHORT[r],
    ...(r === 'pods' ? {} : { categories: ['all'] }),
  };
}

export function discoveryDocument(path: string, serverAddress: string): unknown {
  switch (path) {
    case '/version':
      return {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-acr-geo-rollout-sim',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.23.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    case '/api':
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      };
    case '/apis':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'apps',
            versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
          },
        ],
      };
    case '/api/v1':
      return {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: RESOURCES.filter((r) => groupOf(r) === '').map(resourceEntry),
      };
    case '/apis/apps/v1':
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'apps/v1',
        resources: RESOURCES.filter((r) => groupOf(r) === 'apps').map(resourceEntry),
      };
    default:
      return undefined;
  }
}
