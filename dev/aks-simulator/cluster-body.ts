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
