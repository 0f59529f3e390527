// RolloutExecutorPort over AKS Run Command. start() sends ONE runCommand and returns as soon as
// ARM accepts it (202 + location); status() reads commandResults, from any executor instance,
// with the command id kept in the handle. Every call has a deadline; reads retry transient
// failures with backoff and jitter; the POST is re-sent only when ARM provably did not take it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerServiceClient, ManagedCluster } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import type { RolloutHandle } from '../core/model';
import { parseAksResourceId, type AksClusterId } from '../core/names';
import type { RolloutExecutorPort, RolloutRequest, RolloutStartResult, RolloutStatus } from '../core/ports';
import {
  ArmCallError,
  classifyArmError,
  describeFailure,
  isTransientForRead,
  provesNotAccepted,
  type ArmFailure,
} from './aks-arm-errors';
import { createArmClient } from './aks-client';
import { commandIdFromLocation, decodeAksHandle, encodeAksHandle } from './aks-handle';
import { interpretCommandResult } from './aks-result';
import { DEFAULT_RETRY_POLICY, callWithDeadline, withRetries, type RetryPolicy } from './aks-retry';
import { InvalidRolloutInput, buildRolloutScript } from './rollout-command';

/** The AKS AAD server app: clusters with managed Entra ID run the command as this token's caller. */
export const AKS_SERVER_APP_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

export const PERMISSION_RUN_COMMAND = 'Microsoft.ContainerService/managedClusters/runcommand/action';
export const PERMISSION_COMMAND_RESULTS = 'Microsoft.ContainerService/managedClusters/commandResults/read';
export const PERMISSION_CLUSTER_READ = 'Microsoft.ContainerService/managedClusters/read';

export interface AksExecutorOptions {
  armEndpoint: string;
  credential: TokenCredential;
  /** Deadline of each ARM request. */
  requestTimeoutMs?: number;
  /** How long cluster properties (Entra, Run Command disabled) are trusted. */
  clusterCacheTtlMs?: number;
  retry?: Partial<RetryPolicy>;
  /** For tests and ops: the ARM api-version to send (the SDK default otherwise). */
  apiVersion?: string;
}

export interface AksExecutorStats {
  armRequests: number;
  runCommands: number;
}

export type AksExecutor = RolloutExecutorPort & { stats(): AksExecutorStats };

interface ClusterFacts {
  aadManaged: boolean;
  runCommandDisabled: boolean;
  expiresAt: number;
}

function clusterLabel(id: AksClusterId): string {
  return `${id.resourceGroup}/${id.name}`;
}

export function createAksExecutor(opts: AksExecutorOptions): AksExecutor {
  const timeoutMs = opts.requestTimeoutMs ?? 20_000;
  const cacheTtlMs = opts.clusterCacheTtlMs ?? 10 * 60_000;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  const clients = new Map<string, ContainerServiceClient>();
  const clusters = new Map<string, ClusterFacts>();
  const counters: AksExecutorStats = { armRequests: 0, runCommands: 0 };

  function clientFor(subscriptionId: string): ContainerServiceClient {
    const key = subscriptionId.toLowerCase();
    let client = clients.get(key);
    if (!client) {
      client = createArmClient({
        armEndpoint: opts.armEndpoint,
        credential: opts.credential,
        subscriptionId,
        onRequest: () => counters.armRequests++,
        apiVersion: opts.apiVersion,
      });
      clients.set(key, client);
    }
    return client;
  }

  const clusterKey = (id: AksClusterId): string =>
    `${id.subscriptionId}/${id.resourceGroup}/${id.name}`.toLowerCase();

  async function clusterFacts(id: AksClusterId, signal?: AbortSignal): Promise<ClusterFacts> {
    const key = clusterKey(id);
    const cached = clusters.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached;
    const client = clientFor(id.subscriptionId);
    const mc: ManagedCluster = await withRetries(
      (s) => client.managedClusters.get(id.resourceGroup, id.name, { abortSignal: s }),
      { policy, timeoutMs, retryable: isTransientForRead, signal },
    );
    const facts: ClusterFacts = {
      aadManaged: mc.aadProfile?.managed === true,
      runCommandDisabled: mc.apiServerAccessProfile?.disableRunCommand === true,
      expiresAt: Date.now() + cacheTtlMs,
    };
    clusters.set(key, facts);
    return facts;
  }

  function rejectedFromRead(f: ArmFailure, id: AksClusterId): RolloutStartResult {
    const where = `cluster ${clusterLabel(id)}`;
    switch (f.kind) {
      case 'forbidden':
        return {
          kind: 'rejected',
          transient: false,
          reason: `missing permission ${PERMISSION_CLUSTER_READ} on ${where} (${describeFailure(f)})`,
        };
      case 'not-found':
        return { kind: 'rejected', transient: false, reason: `${where} not found (${describeFailure(f)})` };
      default:
        return startRejection(f, id, 'reading the cluster');
    }
  }

  function startRejection(f: ArmFailure, id: AksClusterId, during: string): RolloutStartResult {
    const where = `cluster ${clusterLabel(id)}`;
    const detail = describeFailure(f);
    switch (f.kind) {
      case 'throttled':
        return {
          kind: 'rejected',
          transient: true,
          reason: `ARM throttled ${during} on ${where} (${detail})`,
          retryAfterSeconds: f.retryAfterSeconds,
        };
      case 'conflict':
        return {
          kind: 'rejected',
          transient: true,
          reason: `another operation is in progress on ${where}; retry later (${detail})`,
          retryAfterSeconds: f.retryAfterSeconds,
        };
      case 'forbidden':
        return {
          kind: 'rejected',
          transient: false,
          reason: `missing permission ${PERMISSION_RUN_COMMAND} on ${where} (${detail})`,
        };
      case 'not-found':
        return { kind: 'rejected', transient: false, reason: `${where} not found (${detail})` };
      case 'unauthorized':
        return {
          kind: 'rejected',
          transient: false,
          reason: `ARM rejected our credential while ${during} on ${where} (${detail})`,
        };
      case 'client':
        return {
          kind: 'rejected',
          transient: false,
          reason: `ARM refused ${during} on ${where} (${detail})`,
        };
      case 'server':
      case 'refused':
        return {
          kind: 'rejected',
          transient: true,
          reason: `ARM unavailable while ${during} on ${where} (${detail})`,
          retryAfterSeconds: f.retryAfterSeconds,
        };
      case 'network':
      case 'timeout':
        // The POST may have reached ARM: we do not resend it; the reconciler decides later.
        return {
          kind: 'rejected',
          transient: true,
          reason: `no answer from ARM while ${during} on ${where}; not resent, the command may have started (${detail})`,
        };
    }
  }

  async function start(request: RolloutRequest, signal?: AbortSignal): Promise<RolloutStartResult> {
    const id = parseAksResourceId(request.cluster);
    if (!id)
      return {
        kind: 'rejected',
        transient: false,
        reason: `not an AKS cluster resource id: ${JSON.stringify(request.cluster)}`,
      };
    let script: string;
    try {
      script = buildRolloutScript(request);
    } catch (e) {
      if (e instanceof InvalidRolloutInput) return { kind: 'rejected', transient: false, reason: e.message };
      throw e;
    }

    let facts: ClusterFacts;
    try {
      facts = await clusterFacts(id, signal);
    } catch (e) {
      return rejectedFromRead(classifyArmError(e), id);
    }
    if (facts.runCommandDisabled) {
      clusters.delete(clusterKey(id)); // re-read next time: an operator may re-enable it
      return {
        kind: 'rejected',
        transient: false,
        reason: `Run Command is disabled on cluster ${clusterLabel(id)} (apiServerAccessProfile.disableRunCommand)`,
      };
    }

    let clusterToken = '';
    if (facts.aadManaged) {
      try {
        const token = await callWithDeadline(
          (s) => opts.credential.getToken(AKS_SERVER_APP_SCOPE, { abortSignal: s }),
          timeoutMs,
          signal,
        );
        if (!token) throw new Error('the credential returned no token');
        clusterToken = token.token;
      } catch (e) {
        return {
          kind: 'rejected',
          transient: true,
          reason: `could not get an Entra token for the AKS server app (${AKS_SERVER_APP_SCOPE}): ${(e as Error).message}`,
        };
      }
    }

    const client = clientFor(id.subscriptionId);
    for (let attempt = 1; ; attempt++) {
      let location: string | undefined;
      let status: number | undefined;
      try {
        const result = await callWithDeadline(
          async (s) => {
            counters.runCommands++;
            const poller = client.managedClusters.runCommand(
              id.resourceGroup,
              id.name,
              { command: script, context: '', clusterToken },
              {
                abortSignal: s,
                onResponse: (raw) => {
                  status = raw.status;
                  location = raw.headers.get('location') ?? undefined;
                },
              },
            );
            // Only the initial POST: the poller is never polled, so the invocation never waits
            // for the rollout. A 200 (synchronous result) leaves its result in the state.
            await poller.submitted();
            return poller.result;
          },
          timeoutMs,
          signal,
        );
        const commandId = commandIdFromLocation(location) ?? (status === 200 ? result?.id : undefined);
        if (!commandId)
          return {
            kind: 'rejected',
            transient: false,
            reason: `ARM accepted the command on cluster ${clusterLabel(id)} (HTTP ${status ?? '?'}) but gave no usable location: ${location ?? 'none'}`,
          };
        return {
          kind: 'started',
          handle: encodeAksHandle({
            subscriptionId: id.subscriptionId,
            resourceGroup: id.resourceGroup,
            cluster: id.name,
            commandId,
          }),
        };
      } catch (e) {
        const f = classifyArmError(e);
        if (f.kind === 'forbidden' || f.kind === 'not-found') clusters.delete(clusterKey(id));
        if (!provesNotAccepted(f) || attempt >= policy.attempts || signal?.aborted)
          return startRejection(f, id, 'starting Run Command');
        const backoff =
          Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * policy.random();
        const wait = Math.max(backoff, (f.retryAfterSeconds ?? 0) * 1000);
        if (wait > policy.maxInlineWaitMs) return startRejection(f, id, 'starting Run Command');
        try {
          await sleep(wait, undefined, signal ? { signal } : undefined);
        } catch {
          return startRejection(f, id, 'starting Run Command'); // the caller gave up meanwhile
        }
      }
    }
  }

  async function status(
    _request: RolloutRequest,
    handle: RolloutHandle,
    signal?: AbortSignal,
  ): Promise<RolloutStatus> {
    const ref = decodeAksHandle(handle);
    if (!ref)
      return {
        kind: 'failed',
        transient: false,
        reason: `unreadable rollout handle: ${handle.value.slice(0, 200)}`,
      };
    const where = `cluster ${ref.resourceGroup}/${ref.cluster}`;
    const client = clientFor(ref.subscriptionId);
    try {
      const result = await withRetries(
        (s) =>
          client.managedClusters.getCommandResult(ref.resourceGroup, ref.cluster, ref.commandId, {
            abortSignal: s,
          }),
        { policy, timeoutMs, retryable: isTransientForRead, signal },
      );
      return interpretCommandResult(result);
    } catch (e) {
      const f = e instanceof ArmCallError ? e.failure : classifyArmError(e);
      const detail = describeFailure(f);
      switch (f.kind) {
        case 'forbidden':
          return {
            kind: 'failed',
            transient: false,
            reason: `missing permission ${PERMISSION_COMMAND_RESULTS} on ${where} (${detail})`,
          };
        case 'not-found':
          // Results expire, and a deleted cluster has none: the outcome is unknowable, and
          // running the (idempotent) script again is safe.
          return {
            kind: 'failed',
            transient: true,
            reason: `result of command ${ref.commandId} not found on ${where}: outcome unknown (${detail})`,
          };
        case 'client':
          return {
            kind: 'failed',
            transient: false,
            reason: `ARM refused reading command ${ref.commandId} on ${where} (${detail})`,
          };
        default:
          return {
            kind: 'unknown',
            reason: `could not read command ${ref.commandId} on ${where} (${detail})`,
            retryAfterSeconds: f.retryAfterSeconds,
          };
      }
    }
  }

  return {
    start,
    status,
    describe: (request) => buildRolloutScript(request),
    stats: () => ({ ...counters }),
  };
}
