// The durable reference to one Run Command: enough for any later executor instance (another
// reconcile run, another Functions instance) to ask ARM for its result.
import { safeJson } from '../../../core/platform';
import type { RolloutHandle } from '../../../core/model';

export interface AksCommandRef {
  subscriptionId: string;
  resourceGroup: string;
  cluster: string;
  commandId: string;
}

export const COMMAND_ID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

export function encodeAksHandle(ref: AksCommandRef): RolloutHandle {
  return { value: JSON.stringify({ v: 1, ...ref }), commandId: ref.commandId };
}

export function decodeAksHandle(handle: RolloutHandle): AksCommandRef | undefined {
  const parsed = safeJson(handle.value);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as Record<string, unknown>;
  const { subscriptionId, resourceGroup, cluster, commandId } = o;
  if (
    o.v !== 1 ||
    typeof subscriptionId !== 'string' ||
    typeof resourceGroup !== 'string' ||
    typeof cluster !== 'string' ||
    typeof commandId !== 'string' ||
    !COMMAND_ID_PATTERN.test(commandId)
  )
    return undefined;
  return { subscriptionId, resourceGroup, cluster, commandId };
}

/** `.../managedClusters/<name>/commandResults/<id>?api-version=...` -> `<id>`. */
export function commandIdFromLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  try {
    const path = new URL(location, 'https://management.azure.com').pathname;
    const m = /\/commandResults\/([^/]+)\/?$/i.exec(path);
    const id = m?.[1] ? decodeURIComponent(m[1]) : undefined;
    return id && COMMAND_ID_PATTERN.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
