// Stepping the app's timers in tests that must not race a regional webhook against a replica
// check: the timers run only while no replication or webhook delivery is in flight.
import type { Stack } from '../../dev/stack';

async function poll(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Resolves once no replication is in flight (every landing happened or is held by a stuck
 * region) and every webhook delivery started so far has been answered: from then on, until the
 * test pushes or unsticks something, no replica can appear without its regional webhook.
 */
export async function replicationQuiet(stack: Stack): Promise<void> {
  await poll('replication to settle', () =>
    stack.acr
      .pushes()
      .every((p) => Object.values(p.regions).every((r) => r.landedAt !== undefined || r.dueAt === undefined)),
  );
  await stack.acr.deliveriesSettled();
}

/**
 * One timer run, but only while replication is quiet. So a replica check can never see a replica
 * whose webhook is still on its way: which signal made a region ready is decided, not raced.
 */
export async function quietTimerStep(stack: Stack): Promise<void> {
  await replicationQuiet(stack);
  await stack.host.runTimers();
}
