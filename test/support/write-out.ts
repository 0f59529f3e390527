// What a release's first wake-up (or the next timer run) does with the releases a webhook claimed:
// writes them out, through the product's own module. For tests whose world has no queue consumer.
import type { Deps } from '../../src/app/platform/deps';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { materializeAllPending } from '../../src/app/intake/pending-release';

/** How many pending releases it wrote out; a failure throws. */
export async function writeOutPending(deps: Deps): Promise<number> {
  const out = await materializeAllPending(deps, new Logger(silentSink));
  if (out.errors > 0) throw new Error(`writing out pending releases failed ${out.errors}×`);
  return out.written;
}
