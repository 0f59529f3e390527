// The invariants at the end of a test that moves images, from the running stack itself
// (dev/stack-invariants.ts, which the demo prints too): each cluster runs the newest release, the
// ledger equals what each cluster runs, no (release, cluster) started more often than it had
// attempts, no pull before the region's replica held the digest.
import { expect } from 'vitest';
import { clusterStarts, invariantProblems } from '../../dev/stack-invariants';
import type { Stack } from '../../dev/stack';

/** `newest`: the digest each workload must run now, by `namespace/Kind/name/container`. */
export async function expectInvariants(stack: Stack, newest: Record<string, string>): Promise<void> {
  expect(await invariantProblems(stack, newest)).toEqual([]);
  // Not vacuous: every region's cluster recorded the changes that were checked.
  for (const region of stack.regions) expect(clusterStarts(stack, region).length, region).toBeGreaterThan(0);
}
