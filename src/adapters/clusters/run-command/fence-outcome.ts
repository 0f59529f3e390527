// Reading the fence's outcome from a Run Command's logs. Each change of the script starts with
// a `kubectl get -o jsonpath` that prints what the fence will test (the release annotation and
// the container names); when every alternative of the fenced patch then failed with the API
// server's 422, those lines tell "a newer change is already there" (the annotation names
// another release) from a container that is not where the patch addresses it (a real failure).
import type { RolloutRequest } from '../../../core/model';
import { FENCE_READ_PREFIX, KUBECTL_RESOURCE } from '../rollout-command';

/** kubectl's words for a 422 Invalid answer (a failed JSON patch `test`). */
export const KUBECTL_INVALID = 'The request is invalid';

export interface FenceRead {
  release: string;
  containers: string[];
}

/** The fence-read lines of a script's logs, keyed `namespace/resource/name`. */
export function fenceReads(logs: string): Map<string, FenceRead> {
  const out = new Map<string, FenceRead>();
  const re = new RegExp(`^${FENCE_READ_PREFIX} (\\S+) release=(\\S*) containers=(.*)$`, 'gm');
  for (const m of logs.matchAll(re)) {
    const [, key, release, containers] = m;
    if (key) out.set(key, { release: release ?? '', containers: (containers ?? '').trim().split(/\s+/) });
  }
  return out;
}

/** Why the refused change could not apply when its container is not where the patch addresses it. */
export function misplacedContainer(request: RolloutRequest, logs: string): string | undefined {
  const invalidAt = logs.lastIndexOf(KUBECTL_INVALID);
  if (invalidAt < 0) return undefined;
  const last = [...fenceReads(logs.slice(0, invalidAt)).entries()].pop();
  if (!last) return undefined;
  const [key, read] = last;
  const w = request.workloads.find((x) => `${x.namespace}/${KUBECTL_RESOURCE[x.kind]}/${x.name}` === key);
  const index = w?.containerIndex ?? 0;
  if (!w || read.containers[index] === w.container) return undefined;
  return `container "${w.container}" is not at index ${index} of ${key} (containers: ${read.containers.join(' ')}); nothing was changed`;
}

/**
 * 'fenced' with the reason when the command stopped at a fence whose test failed because a newer
 * change is there; undefined when the logs do not show that (the exit is then a failure).
 */
export function fencedOutcome(request: RolloutRequest, logs: string): string | undefined {
  const invalidAt = logs.lastIndexOf(KUBECTL_INVALID);
  if (invalidAt < 0) return undefined;
  const reads = fenceReads(logs.slice(0, invalidAt));
  // The last change read before the 422 is the one whose patch was refused.
  const last = [...reads.entries()].pop();
  if (!last) return undefined;
  const [key, read] = last;
  const w = request.workloads.find((x) => `${x.namespace}/${KUBECTL_RESOURCE[x.kind]}/${x.name}` === key);
  if (!w) return undefined;
  if (read.containers[w.containerIndex ?? 0] !== w.container) return undefined;
  const expected = w.expectedRelease ?? '';
  if (read.release === expected || read.release === request.releaseId) return undefined;
  return `${key} carries release ${read.release || '(none)'}, not the expected ${expected || '(none)'}`;
}
