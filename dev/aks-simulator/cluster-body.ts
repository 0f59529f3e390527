// The managedClusters GET body, shaped like the REST spec's ManagedClustersGet example, with
// the two properties the executor reads (aadProfile, apiServerAccessProfile) configurable.
import type { SimCluster } from './cluster';

export function managedClusterBody(c: SimCluster): unknown {
  const properties: Record<string, unknown> = {
    provisioningState: 'Succeeded',
    powerState: { code: 'Running' },
    kubernetesVersion: '1.32.4',
    currentKubernetesVersion: '1.32.4',
    dnsPrefix: `${c.name}-dns`,
    fqdn: `${c.name}-dns-abcd1234.hcp.${c.region}.azmk8s.io`,
    azurePortalFQDN: `${c.name}-dns-abcd1234.portal.hcp.${c.region}.azmk8s.io`,
    agentPoolProfiles: [
      {
        name: 'nodepool1',
        count: 3,
        vmSize: 'Standard_DS2_v2',
        maxPods: 110,
        osType: 'Linux',
        provisioningState: 'Succeeded',
        orchestratorVersion: '1.32.4',
        currentOrchestratorVersion: '1.32.4',
      },
    ],
    enableRBAC: true,
    nodeResourceGroup: `MC_${c.resourceGroup}_${c.name}_${c.region}`,
    networkProfile: { networkPlugin: 'azure', loadBalancerSku: 'standard', outboundType: 'loadBalancer' },
    maxAgentPools: 100,
    apiServerAccessProfile: { disableRunCommand: c.disableRunCommand },
  };
  if (c.aadManaged)
    properties.aadProfile = {
      managed: true,
      adminGroupObjectIDs: null,
      enableAzureRBAC: true,
      tenantID: '00000000-0000-0000-0000-000000000001',
    };
  return {
    id: c.resourceId,
    name: c.name,
    type: 'Microsoft.ContainerService/managedClusters',
    location: c.region,
    eTag: 'beywbwei',
    tags: {},
    properties,
  };
}

/**
 * The kubeconfig `listClusterUserCredential` returns (base64 in `kubeconfigs[].value`), pointing
 * at the cluster's simulated API server. Entra clusters name a kubelogin exec user (as AKS does
 * with format=exec); local-accounts clusters carry the static token (admin-equivalent).
 */
export function userKubeconfig(c: SimCluster): string | undefined {
  const api = c.kubernetesApi;
  if (!api) return undefined;
  const user = c.aadManaged
    ? [
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1beta1',
        '      command: kubelogin',
        '      args:',
        '      - get-token',
        '      - --login',
        '      - azurecli',
        '      - --server-id',
        '      - 6dae42f8-4368-4678-94ff-3960e28e3630',
        '      env: null',
        '      provideClusterInfo: false',
      ]
    : [`    token: ${api.token}`];
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${Buffer.from(api.ca).toString('base64')}`,
    `    server: ${api.url}`,
    `  name: ${c.name}`,
    'contexts:',
    '- context:',
    `    cluster: ${c.name}`,
    `    user: clusterUser_${c.resourceGroup}_${c.name}`,
    `  name: ${c.name}`,
    `current-context: ${c.name}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: clusterUser_${c.resourceGroup}_${c.name}`,
    '  user:',
    ...user,
    '',
  ].join('\n');
}
