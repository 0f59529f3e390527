// Which of two releases is newer for one workload (docs/rules.md rule 4). `order: "pushed"` (the
// default): the later push (isNewerRelease). `order: "semver"`: the higher version of the tag,
// equal versions by push (a rebuilt 2.0.0 pushed later is newer), and an operator's rollback
// outranks everything pushed before it (it is the way down), while what is pushed after it is
// compared with its version. Decided per pair, so both sides of a pair always agree.
import { compareVersions, workloadKey, type VersionOrder, type Workload } from '../model';
import { isNewerRelease } from './release-id';

/** What the order of two releases reads (a release, its active entry or a ledger entry's). */
export interface OrderedRelease {
  id: string;
  pushedAt: string;
  version?: string | undefined;
  rollbackOf?: string | undefined;
}

/** Whether a is newer than b. */
export type NewerThan = (a: OrderedRelease, b: OrderedRelease) => boolean;
/** The order of one workload's releases, by its ledger key (`namespace/Kind/name/container`). */
export type NewerFor = (workload: string) => NewerThan;

const byPush: NewerThan = (a, b) => isNewerRelease(a, b);

const byVersion: NewerThan = (a, b) => {
  const aLater = isNewerRelease(a, b);
  if ((aLater ? a : b).rollbackOf) return aLater;
  const cmp = compareVersions(a.version, b.version);
  return cmp === undefined || cmp === 0 ? aLater : cmp > 0;
};

export const NEWER_BY: Readonly<Record<VersionOrder, NewerThan>> = { pushed: byPush, semver: byVersion };

/** Every workload in push order (what a caller without the configuration may assume). */
export const PUSH_ORDER: NewerFor = () => byPush;

/** The configured order of each workload; a workload no longer configured is in push order. */
export function releaseOrder(
  workloads: readonly Pick<Workload, 'namespace' | 'kind' | 'name' | 'container' | 'order'>[],
): NewerFor {
  const orders = new Map(workloads.map((w) => [workloadKey(w), w.order ?? 'pushed']));
  return (workload) => NEWER_BY[orders.get(workload) ?? 'pushed'];
}

/**
 * `other` is newer for the workload only by its version: it was pushed before `self` but holds
 * a higher version (self is the hotfix 1.4.3 pushed after 2.0.0). Such a self never rolls out
 * where `other` runs or is pending: it is older by version, and waiting would not change that.
 */
export function olderByVersion(newer: NewerThan, self: OrderedRelease, other: OrderedRelease): boolean {
  return newer(other, self) && isNewerRelease(self, other);
}
