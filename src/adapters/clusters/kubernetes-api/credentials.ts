// How the product reaches a kubernetes-api region's API server: the server URL and CA from the
// cluster's user kubeconfig (`listClusterUserCredential`, ARM), and a bearer token.
// - Entra ID clusters (managed AAD): the kubeconfig's user is a `kubelogin` exec (or the legacy
//   azure auth-provider), which the app does not run; the bearer is the app's own Entra token for
//   the AKS server application (6dae42f8-…/.default). Only `server` and
//   `certificate-authority-data` are taken from the kubeconfig.
// - Local-accounts clusters: the kubeconfig's user carries a static token (admin-equivalent).
//   Refused unless the region sets allowLocalAccounts; then that token is the bearer.
// The kubeconfig is parsed minimally (no YAML package): the few scalar keys needed, block style.
// Connections are cached per cluster with a bounded lifetime; secrets are never logged.
import type { TokenCredential } from '@azure/core-auth';
import { endpointProblem } from '../../../core/platform';
import type { AksClusterId } from '../../../core/model';
import { ArmClients, aksServerToken, clusterKey, clusterWhere, readClusterId } from '../aks-cluster';
import { classifyArmError, isTransientForRead, type ArmFailure } from '../run-command/arm-errors';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from '../run-command/retry';
import type { K8sConnection } from './http';

export const PERMISSION_LIST_USER_CREDENTIAL =
  'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action';

export interface KubeconfigFacts {
  server: string;
  /** PEM, decoded from certificate-authority-data. */
  ca: string | undefined;
  /** exec (kubelogin) or auth-provider: Entra ID; token / client-certificate: local account. */
  user: 'entra' | 'local-token' | 'local-certificate' | 'none';
  /** The local account's static token (only when user is local-token). Never logged. */
  localToken?: string | undefined;
}

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

function scalar(raw: string): string {
  const v = raw.trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1);
  return v;
}

/** Values of `key:` at any depth of a block-style YAML document (list items `- key:` included). */
function valuesOf(text: string, key: string): string[] {
  const re = new RegExp(`^[ \\t]*(?:-[ \\t]+)?${key.replace(/[-]/g, '\\-')}:[ \\t]*(.*)$`, 'gm');
  return [...text.matchAll(re)].map((m) => scalar(m[1] ?? ''));
}

function decodeCa(data: string): string {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(data))
    throw new KubeconfigError('certificate-authority-data is not base64');
  const pem = Buffer.from(data, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new KubeconfigError('certificate-authority-data does not hold a PEM certificate');
  return pem;
}

/** The server, CA and kind of user of a one-cluster kubeconfig (what AKS returns). */
export function parseKubeconfig(text: string): KubeconfigFacts {
  if (text.length > 256 * 1024) throw new KubeconfigError('the kubeconfig is larger than 256 KiB');
  const servers = valuesOf(text, 'server');
  if (servers.length !== 1)
    throw new KubeconfigError(`expected one cluster server in the kubeconfig, found ${servers.length}`);
  const server = servers[0]!;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError('the kubeconfig server is not a URL');
  }
  // https, or plain http to a loopback test server only.
  if (endpointProblem(server))
    throw new KubeconfigError(`the kubeconfig server must be https (${url.protocol})`);
  const caData = valuesOf(text, 'certificate-authority-data')[0];
  const ca = caData ? decodeCa(caData) : undefined;
  const usersAt = text.search(/^users:/m);
  const users = usersAt < 0 ? '' : text.slice(usersAt);
  if (/^[ \t]*(?:exec|auth-provider):/m.test(users)) return { server, ca, user: 'entra' };
  const token = valuesOf(users, 'token')[0];
  if (token) return { server, ca, user: 'local-token', localToken: token };
  if (valuesOf(users, 'client-certificate-data').length > 0) return { server, ca, user: 'local-certificate' };
  return { server, ca, user: 'none' };
}

export interface K8sCredentialOptions {
  armEndpoint: string;
  credential: TokenCredential;
  requestTimeoutMs?: number;
  /** Server/CA are trusted this long (default 10 min); tokens are renewed before they expire. */
  cacheTtlMs?: number;
  apiVersion?: string;
  now?: () => number;
  retry?: Partial<RetryPolicy>;
}

export interface ClusterAccessRequest {
  cluster: string;
  allowLocalAccounts?: boolean | undefined;
}

/** A usable connection, or why there is none (permanent: fix the cluster or the config). */
export type ConnectionAnswer =
  { ok: true; connection: K8sConnection } | { ok: false; transient: boolean; reason: string };

interface CachedFacts {
  facts: KubeconfigFacts;
  expiresAt: number;
}

function armRefusal(f: ArmFailure, id: AksClusterId): ConnectionAnswer {
  if (f.kind === 'forbidden')
    return {
      ok: false,
      transient: false,
      reason: `missing permission ${PERMISSION_LIST_USER_CREDENTIAL} on ${clusterWhere(id)} (assign "Azure Kubernetes Service Cluster User Role"): ${f.message}`,
    };
  if (f.kind === 'not-found')
    return { ok: false, transient: false, reason: `${clusterWhere(id)} not found: ${f.message}` };
  return {
    ok: false,
    transient: true,
    reason: `could not read the kubeconfig of ${clusterWhere(id)}: ${f.message}`,
  };
}

export class K8sCredentials {
  private readonly cache = new Map<string, CachedFacts>();
  private readonly clients: ArmClients;
  private readonly now: () => number;
  readonly counters = { kubeconfigReads: 0, armRequests: 0 };

  constructor(private readonly opts: K8sCredentialOptions) {
    this.now = opts.now ?? Date.now;
    this.clients = new ArmClients({
      armEndpoint: opts.armEndpoint,
      credential: opts.credential,
      apiVersion: opts.apiVersion,
      onRequest: () => this.counters.armRequests++,
    });
  }

  private async readFacts(id: AksClusterId, signal?: AbortSignal): Promise<KubeconfigFacts> {
    const key = clusterKey(id);
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.facts;
    this.counters.kubeconfigReads++;
    const client = this.clients.for(id.subscriptionId);
    const result = await withRetries(
      (s) =>
        client.managedClusters.listClusterUserCredentials(id.resourceGroup, id.name, {
          abortSignal: s,
          format: 'exec',
        }),
      {
        policy: { ...DEFAULT_RETRY_POLICY, ...this.opts.retry },
        timeoutMs: this.opts.requestTimeoutMs ?? 20_000,
        retryable: isTransientForRead,
        signal,
      },
    );
    const value = result.kubeconfigs?.[0]?.value;
    if (!value) throw new KubeconfigError('listClusterUserCredential returned no kubeconfig');
    const facts = parseKubeconfig(Buffer.from(value).toString('utf8'));
    this.cache.set(key, { facts, expiresAt: this.now() + (this.opts.cacheTtlMs ?? 10 * 60_000) });
    return facts;
  }

  /** Forget a cluster's kubeconfig (after a 401: the server or CA may have rotated). */
  forget(cluster: string): void {
    const read = readClusterId(cluster);
    if ('id' in read) this.cache.delete(clusterKey(read.id));
  }

  async connect(req: ClusterAccessRequest, signal?: AbortSignal): Promise<ConnectionAnswer> {
    const read = readClusterId(req.cluster);
    if ('reason' in read) return { ok: false, transient: false, reason: read.reason };
    const { id } = read;
    let facts: KubeconfigFacts;
    try {
      facts = await this.readFacts(id, signal);
    } catch (e) {
      if (e instanceof KubeconfigError)
        return {
          ok: false,
          transient: false,
          reason: `unusable kubeconfig of ${clusterWhere(id)}: ${e.message}`,
        };
      return armRefusal(classifyArmError(e), id);
    }
    const base = { server: facts.server, ...(facts.ca ? { ca: facts.ca } : {}) };
    if (facts.user === 'entra') {
      const token = await aksServerToken(this.opts.credential, this.opts.requestTimeoutMs ?? 20_000, signal);
      return 'reason' in token
        ? { ok: false, transient: true, reason: token.reason }
        : { ok: true, connection: { ...base, token: token.token } };
    }
    if (!req.allowLocalAccounts)
      return {
        ok: false,
        transient: false,
        reason: `${clusterWhere(id)} uses local accounts (its kubeconfig user is admin-equivalent, not Entra ID): refused; enable Entra ID on the cluster, or set regions[].allowLocalAccounts: true`,
      };
    if (facts.user === 'local-token' && facts.localToken)
      return { ok: true, connection: { ...base, token: facts.localToken } };
    return {
      ok: false,
      transient: false,
      reason: `${clusterWhere(id)}: the local-accounts kubeconfig has no bearer token (client certificates are not supported)`,
    };
  }
}
