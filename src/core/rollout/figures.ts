// Where the reaction delay starts. The product can act only once the replica holds the digest
// AND it knows of the release: a re-tag of a digest replicated long ago has a replicaReadyAt
// (the digest's regional signal) before the release was even planned, and counting from there
// would show minutes for a start that took milliseconds.
import type { RegionRollout, Release } from '../model';

/** The later of the rollout's replicaReadyAt and the release's createdAt; undefined while not ready. */
export function reactionFrom(
  release: Partial<Pick<Release, 'createdAt'>>,
  r: Pick<RegionRollout, 'replicaReadyAt'>,
): string | undefined {
  if (!r.replicaReadyAt) return undefined;
  const created = release.createdAt;
  if (!created || !(Date.parse(created) > Date.parse(r.replicaReadyAt))) return r.replicaReadyAt;
  return created;
}
