// One RolloutExecutorPort over the two ways to reach a cluster, chosen per region by
// `regions[].access`: "kubernetes-api" (default) or "run-command". The handle is tagged with the
// path that made it, so a rollout started on one path is always polled on that path (also after
// an operator switches the region's access mode mid-rollout).
import type {
  RegionAccess,
  RolloutHandle,
  RolloutExecutorPort,
  RolloutRequest,
  RolloutStartResult,
  RolloutStatus,
} from '../../core/model';

export interface AccessRouterOptions {
  accessOf: (region: string) => RegionAccess;
  kubernetesApi: RolloutExecutorPort;
  runCommand: RolloutExecutorPort;
}

const TAG_SEPARATOR = ':';

export function tagHandle(path: RegionAccess, handle: RolloutHandle): RolloutHandle {
  return { ...handle, value: `${path}${TAG_SEPARATOR}${handle.value}` };
}

/** The path and the inner handle; untagged handles (recorded before the router) are run-command. */
export function untagHandle(handle: RolloutHandle): { path: RegionAccess; handle: RolloutHandle } {
  for (const path of ['kubernetes-api', 'run-command'] as const) {
    const prefix = `${path}${TAG_SEPARATOR}`;
    if (handle.value.startsWith(prefix))
      return { path, handle: { ...handle, value: handle.value.slice(prefix.length) } };
  }
  return { path: 'run-command', handle };
}

export function createAccessRouter(opts: AccessRouterOptions): RolloutExecutorPort {
  const executorFor = (path: RegionAccess): RolloutExecutorPort =>
    path === 'run-command' ? opts.runCommand : opts.kubernetesApi;
  return {
    async start(request: RolloutRequest, signal?: AbortSignal): Promise<RolloutStartResult> {
      const path = opts.accessOf(request.region);
      const result = await executorFor(path).start(request, signal);
      return result.kind === 'started' ? { ...result, handle: tagHandle(path, result.handle) } : result;
    },
    status(request: RolloutRequest, handle: RolloutHandle, signal?: AbortSignal): Promise<RolloutStatus> {
      const inner = untagHandle(handle);
      return executorFor(inner.path).status(request, inner.handle, signal);
    },
    describe(request: RolloutRequest): string {
      const path = opts.accessOf(request.region);
      return `# access: ${path}\n${executorFor(path).describe(request)}`;
    },
  };
}
