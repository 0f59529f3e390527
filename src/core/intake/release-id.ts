// Release ids sort newest first as table row keys and are deterministic, so two instances
// planning the same push concurrently compute the same id.
import { createHash } from 'node:crypto';

const MAX_MS = 9_999_999_999_999;

export function makeReleaseId(parts: {
  pushedAt: string;
  repository: string;
  tag: string;
  digest: string;
  generation: number;
}): string {
  // Clamped so even a nonsense time still yields a well-formed, sortable id.
  const ms = Math.min(MAX_MS, Math.max(0, Date.parse(parts.pushedAt) || 0));
  const inverted = String(MAX_MS - ms).padStart(13, '0');
  const hash = createHash('sha256')
    .update(`${parts.repository}\n${parts.tag}\n${parts.digest}\n${parts.generation}`)
    .digest('hex')
    .slice(0, 12);
  return `${inverted}-${hash}`;
}

export const RELEASE_ID_PATTERN = /^\d{13}-[0-9a-f]{12}$/;

/** Total order of releases: later push wins; ties broken by id so every instance agrees. */
export function isNewerRelease(
  a: { pushedAt: string; id: string },
  b: { pushedAt: string; id: string },
): boolean {
  const ta = Date.parse(a.pushedAt);
  const tb = Date.parse(b.pushedAt);
  if (ta !== tb) return ta > tb;
  return a.id < b.id;
}
