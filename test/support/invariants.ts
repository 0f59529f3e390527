// The invariants at the end of a test that moves images, from the running stack itself
// (dev/stack-invariants.ts, which the demo prints too): each cluster runs the newest release, the
// ledger equals what each cluster runs, no (release, cluster) started more often than it had
// attempts, no pull before the region's replica held the digest. And which release is the newest
// one for a workload, written here from the documented rules (docs/rules.md rule 4,
// docs/configuration.md "Version policies"), not taken from the code under test.
import { compare, valid } from 'semver';
import { expect } from 'vitest';
import { clusterStarts, invariantProblems } from '../../dev/stack-invariants';
import type { Stack } from '../../dev/stack';

/** `newest`: the digest each workload must run now, by `namespace/Kind/name/container`. */
export async function expectInvariants(stack: Stack, newest: Record<string, string>): Promise<void> {
  expect(await invariantProblems(stack, newest)).toEqual([]);
  // Not vacuous: every region's cluster recorded the changes that were checked.
  for (const region of stack.regions) expect(clusterStarts(stack, region).length, region).toBeGreaterThan(0);
}

/** A release as the order reads it: its id, push time and tag (the version comes from the tag). */
export interface PushedRelease {
  id: string;
  pushedAt: string;
  tag: string;
  rollbackOf?: string | undefined;
}

/**
 * Whether a is newer than b for a workload ordered `order`. Pushed: the later push, the same
 * millisecond by the smaller id (ids sort newest first). Semver: the higher version of the tag
 * (a leading v allowed), equal or missing versions by push, and a rollback newer than every
 * release pushed before it.
 */
export function expectedNewer(order: 'pushed' | 'semver', a: PushedRelease, b: PushedRelease): boolean {
  const ta = Date.parse(a.pushedAt);
  const tb = Date.parse(b.pushedAt);
  const aLater = ta !== tb ? ta > tb : a.id < b.id;
  if (order === 'pushed' || (aLater ? a : b).rollbackOf) return aLater;
  const va = valid(a.tag);
  const vb = valid(b.tag);
  const byVersion = va && vb ? compare(va, vb) : 0;
  return byVersion === 0 ? aLater : byVersion > 0;
}
