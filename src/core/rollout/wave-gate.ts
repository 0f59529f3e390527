// Safe order (docs/rules.md rule 5): a region of wave k starts only when every targeted region of
// earlier waves succeeded and the bake time has passed since the last of them finished; a
// failure in an earlier wave halts the later ones unless the policy says continueOnFailure.
import { addSeconds } from '../platform';
import type { RegionRollout, RolloutPolicy } from '../model';

export type WaveGate =
  | { kind: 'open' }
  | { kind: 'wait'; reason: string; until?: Date | undefined }
  | { kind: 'halt'; reason: string };

const PASSED = new Set(['succeeded', 'dry-run', 'superseded', 'skipped']);
const FAILED = new Set(['failed', 'replication-timed-out', 'halted', 'canceled']);

export function waveGate(
  rollout: Pick<RegionRollout, 'wave'>,
  all: readonly RegionRollout[],
  policy: Pick<RolloutPolicy, 'bakeSeconds' | 'continueOnFailure'>,
  now: Date,
): WaveGate {
  const earlier = all.filter((r) => r.wave < rollout.wave);
  if (earlier.length === 0) return { kind: 'open' };
  const failed = earlier.filter((r) => FAILED.has(r.state));
  if (failed.length > 0 && !policy.continueOnFailure) {
    const f = failed[0]!;
    return { kind: 'halt', reason: `wave ${f.wave} failed in ${f.region} (${f.state}: ${f.reason})` };
  }
  const pending = earlier.filter((r) => !PASSED.has(r.state) && !FAILED.has(r.state));
  if (pending.length > 0) {
    const wave = Math.min(...pending.map((r) => r.wave));
    const regions = pending.filter((r) => r.wave === wave).map((r) => r.region);
    return { kind: 'wait', reason: `waiting for wave ${wave} (${regions.join(', ')})` };
  }
  const finishedTimes = earlier
    .filter((r) => r.state === 'succeeded' && r.finishedAt)
    .map((r) => Date.parse(r.finishedAt!));
  if (policy.bakeSeconds > 0 && finishedTimes.length > 0) {
    const until = addSeconds(new Date(Math.max(...finishedTimes)), policy.bakeSeconds);
    if (until > now)
      return { kind: 'wait', reason: `baking ${policy.bakeSeconds}s after the earlier wave`, until };
  }
  return { kind: 'open' };
}
