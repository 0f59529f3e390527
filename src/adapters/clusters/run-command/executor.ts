// RolloutExecutorPort over AKS Run Command. start() sends ONE runCommand and returns as soon as
// ARM accepts it (202 + location); status() reads commandResults, from any executor instance,
// with the command id kept in the handle. Every call has a deadline; reads retry transient
// failures with backoff and jitter; the POST is re-sent only when ARM provably did not take it.
import type { ManagedCluster } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import type {
  RolloutHandle,
  RolloutExecutorPort,
  RolloutRequest,
  RolloutStartResult,
  RolloutStatus,
} from '../../../core/model';
import type { AksClusterId } from '../../../core/model';
import {
  classifyArmError,
  type ArmFailure,
  isTransientForRead,
  provesNotAccepted,
  rejectedFromRead,
  startRejection,
  statusFailure,
} from './arm-errors';
import { commandIdFromLocation, decodeAksHandle, encodeAksHandle } from './handle';
import { fencedOutcome, misplacedContainer } from './fence-outcome';
import { interpretCommandResult } from './result';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry';
import { InvalidRolloutInput, buildRolloutScript } from '../rollout-command';
import { ArmClients, aksServerToken, clusterKey, clusterWhere, readClusterId } from '../aks-cluster';

export { PERMISSION_CLUSTER_READ, PERMISSION_COMMAND_RESULTS, PERMISSION_RUN_COMMAND } from './arm-errors';

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

const isAnswer = (x: object): x is RolloutStartResult => 'kind' in x;

/** The checks that need no ARM call: a cluster resource id and a script built from valid input. */
function prepare(request: RolloutRequest): { id: AksClusterId; script: string } | RolloutStartResult {
  const cluster = readClusterId(request.cluster);
  if ('reason' in cluster) return { kind: 'rejected', transient: false, reason: cluster.reason };
  try {
    return { id: cluster.id, script: buildRolloutScript(request) };
  } catch (e) {
    if (e instanceof InvalidRolloutInput) return { kind: 'rejected', transient: false, reason: e.message };
    throw e;
  }
}

/** What ARM answered to an accepted POST: the command id from its location, or a rejection. */
function acceptedStart(
  id: AksClusterId,
  answer: { status?: number | undefined; location?: string | undefined; resultId?: string | undefined },
): RolloutStartResult {
  const { status, location } = answer;
  const commandId = commandIdFromLocation(location) ?? (status === 200 ? answer.resultId : undefined);
  if (!commandId)
    return {
      kind: 'rejected',
      transient: false,
      reason: `ARM accepted the command on ${clusterWhere(id)} (HTTP ${status ?? '?'}) but gave no usable location: ${location ?? 'none'}`,
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
}

/** A non-zero exit at a fence whose test failed because a newer change is there is not a failure. */
function withFenceOutcome(request: RolloutRequest, status: RolloutStatus): RolloutStatus {
  if (status.kind !== 'failed' || status.logs === undefined) return status;
  const why = fencedOutcome(request, status.logs);
  if (why !== undefined) return { kind: 'fenced', reason: why, logs: status.logs };
  const misplaced = misplacedContainer(request, status.logs);
  return misplaced === undefined ? status : { ...status, reason: `kubectl exited non-zero: ${misplaced}` };
}

class RunCommandExecutor {
  private readonly timeoutMs: number;
  private readonly cacheTtlMs: number;
  private readonly policy: RetryPolicy;
  private readonly clients: ArmClients;
  private readonly clusters = new Map<string, ClusterFacts>();
  readonly counters: AksExecutorStats = { armRequests: 0, runCommands: 0 };

  constructor(private readonly opts: AksExecutorOptions) {
    this.timeoutMs = opts.requestTimeoutMs ?? 20_000;
    this.cacheTtlMs = opts.clusterCacheTtlMs ?? 10 * 60_000;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.clients = new ArmClients({
      armEndpoint: opts.armEndpoint,
      credential: opts.credential,
      apiVersion: opts.apiVersion,
      onRequest: () => this.counters.armRequests++,
    });
  }

  async start(request: RolloutRequest, signal?: AbortSignal): Promise<RolloutStartResult> {
    const prepared = prepare(request);
    if (isAnswer(prepared)) return prepared;
    const facts = await this.usableCluster(prepared.id, signal);
    if (isAnswer(facts)) return facts;
    // Managed-Entra clusters run the command as the caller of this token.
    const token = facts.aadManaged
      ? await aksServerToken(this.opts.credential, this.timeoutMs, signal)
      : { token: '' };
    if ('reason' in token) return { kind: 'rejected', transient: true, reason: token.reason };
    return this.runCommand(prepared.id, prepared.script, token.token, signal);
  }

  async status(
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
    const client = this.clients.for(ref.subscriptionId);
    try {
      const result = await this.withRetries(
        (s) =>
          client.managedClusters.getCommandResult(ref.resourceGroup, ref.cluster, ref.commandId, {
            abortSignal: s,
          }),
        isTransientForRead,
        signal,
      );
      return withFenceOutcome(_request, interpretCommandResult(result));
    } catch (e) {
      const where = clusterWhere({ resourceGroup: ref.resourceGroup, name: ref.cluster });
      return statusFailure(classifyArmError(e), where, ref.commandId);
    }
  }

  private withRetries<T>(
    op: (signal: AbortSignal) => Promise<T>,
    retryable: (f: ArmFailure) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return withRetries(op, { policy: this.policy, timeoutMs: this.timeoutMs, retryable, signal });
  }

  private async clusterFacts(id: AksClusterId, signal?: AbortSignal): Promise<ClusterFacts> {
    const key = clusterKey(id);
    const cached = this.clusters.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached;
    const client = this.clients.for(id.subscriptionId);
    const mc: ManagedCluster = await this.withRetries(
      (s) => client.managedClusters.get(id.resourceGroup, id.name, { abortSignal: s }),
      isTransientForRead,
      signal,
    );
    const facts: ClusterFacts = {
      aadManaged: mc.aadProfile?.managed === true,
      runCommandDisabled: mc.apiServerAccessProfile?.disableRunCommand === true,
      expiresAt: Date.now() + this.cacheTtlMs,
    };
    this.clusters.set(key, facts);
    return facts;
  }

  /** The cluster's facts, or why no command can be sent to it. */
  private async usableCluster(
    id: AksClusterId,
    signal?: AbortSignal,
  ): Promise<ClusterFacts | RolloutStartResult> {
    let facts: ClusterFacts;
    try {
      facts = await this.clusterFacts(id, signal);
    } catch (e) {
      return rejectedFromRead(classifyArmError(e), clusterWhere(id));
    }
    if (!facts.runCommandDisabled) return facts;
    this.clusters.delete(clusterKey(id)); // re-read next time: an operator may re-enable it
    return {
      kind: 'rejected',
      transient: false,
      reason: `Run Command is disabled on ${clusterWhere(id)} (apiServerAccessProfile.disableRunCommand)`,
    };
  }

  /** Sends the POST, again only while ARM provably did not take it (provesNotAccepted). */
  private async runCommand(
    id: AksClusterId,
    script: string,
    clusterToken: string,
    signal?: AbortSignal,
  ): Promise<RolloutStartResult> {
    const client = this.clients.for(id.subscriptionId);
    const answer: { status?: number; location?: string | undefined; resultId?: string | undefined } = {};
    try {
      const result = await this.withRetries(
        async (s) => {
          this.counters.runCommands++;
          const poller = client.managedClusters.runCommand(
            id.resourceGroup,
            id.name,
            { command: script, context: '', clusterToken },
            {
              abortSignal: s,
              onResponse: (raw) => {
                answer.status = raw.status;
                answer.location = raw.headers.get('location') ?? undefined;
              },
            },
          );
          // Only the initial POST: the poller is never polled, so the invocation never waits
          // for the rollout. A 200 (synchronous result) leaves its result in the state.
          await poller.submitted();
          return poller.result;
        },
        provesNotAccepted,
        signal,
      );
      return acceptedStart(id, { ...answer, resultId: result?.id });
    } catch (e) {
      const f = classifyArmError(e);
      if (f.kind === 'forbidden' || f.kind === 'not-found') this.clusters.delete(clusterKey(id));
      return startRejection(f, clusterWhere(id), 'starting Run Command');
    }
  }
}

export function createAksExecutor(opts: AksExecutorOptions): AksExecutor {
  const executor = new RunCommandExecutor(opts);
  return {
    start: (request, signal) => executor.start(request, signal),
    status: (request, handle, signal) => executor.status(request, handle, signal),
    describe: (request) => buildRolloutScript(request),
    stats: () => ({ ...executor.counters }),
  };
}
