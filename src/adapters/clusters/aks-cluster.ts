// What both ways into an AKS cluster (Run Command, the Kubernetes API) share: the cluster's
// resource id read and named, one ARM client per subscription, and the app's Entra token for the
// AKS server application (the bearer a managed-Entra cluster accepts).
import type { ContainerServiceClient } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import { parseAksResourceId, type AksClusterId } from '../../core/model';
import { errorMessage } from '../../core/platform';
import { createArmClient } from './run-command/client';
import { callWithDeadline } from './run-command/retry';

/** The AKS AAD server app: its token is accepted by every managed-Entra API server. */
export const AKS_SERVER_APP_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

/** The cluster's resource id, or why the configured value is not one (permanent). */
export function readClusterId(cluster: string): { id: AksClusterId } | { reason: string } {
  const id = parseAksResourceId(cluster);
  return id ? { id } : { reason: `not an AKS cluster resource id: ${JSON.stringify(cluster)}` };
}

/** "cluster rg/name", as failure messages name it. */
export function clusterWhere(id: Pick<AksClusterId, 'resourceGroup' | 'name'>): string {
  return `cluster ${id.resourceGroup}/${id.name}`;
}

/** What a cluster's cached facts are kept under: ARM ids are case-insensitive. */
export function clusterKey(id: AksClusterId): string {
  return `${id.subscriptionId}/${id.resourceGroup}/${id.name}`.toLowerCase();
}

export interface ArmClientOptions {
  armEndpoint: string;
  credential: TokenCredential;
  /** For tests and ops: the ARM api-version to send (the SDK default otherwise). */
  apiVersion?: string | undefined;
  /** Called for every request sent (the executors count them). */
  onRequest?: () => void;
}

/** One ContainerServiceClient per subscription, built on first use. */
export class ArmClients {
  private readonly clients = new Map<string, ContainerServiceClient>();

  constructor(private readonly opts: ArmClientOptions) {}

  for(subscriptionId: string): ContainerServiceClient {
    const key = subscriptionId.toLowerCase();
    let client = this.clients.get(key);
    if (!client) {
      client = createArmClient({ ...this.opts, subscriptionId });
      this.clients.set(key, client);
    }
    return client;
  }
}

/** The app's Entra token for the AKS server app, or why there is none (worth asking again later). */
export async function aksServerToken(
  credential: TokenCredential,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ token: string } | { reason: string }> {
  try {
    const token = await callWithDeadline(
      (s) => credential.getToken(AKS_SERVER_APP_SCOPE, { abortSignal: s }),
      timeoutMs,
      signal,
    );
    if (!token) throw new Error('the credential returned no token');
    return { token: token.token };
  } catch (e) {
    return {
      reason: `could not get an Entra token for the AKS server app (${AKS_SERVER_APP_SCOPE}): ${errorMessage(e)}`,
    };
  }
}
