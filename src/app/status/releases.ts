// Status use cases for releases: the newest releases with a per-region summary (one call draws
// the dashboard's grid) and one release in full. Read-only: nothing here writes to the store.
import type { Release, StatusStore } from '../../core/model';
import type { Deps } from '../platform';
import { findPendingRelease } from '../intake';
import { toApiToken, type ReleasesQuery } from './queries';
import {
  orderRollouts,
  releaseFields,
  rolloutDetail,
  rolloutSummary,
  type ReleaseDetailView,
  type ReleaseSummaryView,
} from './views';

export interface ReleasesPageView {
  releases: ReleaseSummaryView[];
  /** Pass back as `continuationToken` for the next (older) page; absent on the last page. */
  continuationToken?: string | undefined;
}

/** A region-state filter reads the store page by page; this bounds one call's work. */
const MAX_SCANNED_RELEASES = 500;

async function summarise(
  store: Pick<StatusStore, 'listRollouts'>,
  release: Release,
): Promise<ReleaseSummaryView> {
  const rollouts = await store.listRollouts(release.id, release.regions);
  return {
    ...releaseFields(release),
    rollouts: orderRollouts(
      release,
      rollouts.map((r) => rolloutSummary(release, r)),
    ),
  };
}

export async function listReleaseViews(
  deps: { store: Pick<StatusStore, 'listReleases' | 'listRollouts'> },
  query: ReleasesQuery,
): Promise<ReleasesPageView> {
  const { store } = deps;
  const status = query.state === 'active' || query.state === 'done' ? query.state : undefined;
  const regionState = status === undefined ? query.state : undefined;

  if (regionState === undefined) {
    const page = await store.listReleases({
      repository: query.repository,
      status,
      limit: query.limit,
      continuationToken: query.continuationToken,
    });
    return {
      releases: await Promise.all(page.releases.map((r) => summarise(store, r))),
      continuationToken: toApiToken(page.continuationToken),
    };
  }

  // "Releases with at least one region in state X" is not a stored column, so read pages and keep
  // the matches. Each page asks only for as many releases as still fit, so every match of a page
  // is kept and the store's token after it is exact. A short page with a token is a valid answer.
  const out: ReleaseSummaryView[] = [];
  let token = query.continuationToken;
  let scanned = 0;
  do {
    const page = await store.listReleases({
      repository: query.repository,
      limit: query.limit - out.length,
      continuationToken: token,
    });
    scanned += page.releases.length;
    const views = await Promise.all(page.releases.map((r) => summarise(store, r)));
    out.push(...views.filter((v) => v.rollouts.some((r) => r.state === regionState)));
    token = page.continuationToken;
  } while (token !== undefined && out.length < query.limit && scanned < MAX_SCANNED_RELEASES);
  return { releases: out, continuationToken: toApiToken(token) };
}

export async function getReleaseView(
  deps: { store: Pick<StatusStore, 'getRelease' | 'listRollouts'> },
  id: string,
): Promise<ReleaseDetailView | undefined> {
  const release = await deps.store.getRelease(id);
  if (!release) return undefined;
  const rollouts = await deps.store.listRollouts(release.id, release.regions);
  return {
    ...releaseFields(release),
    rollouts: orderRollouts(
      release,
      rollouts.map((r) => rolloutDetail(release, r)),
    ),
  };
}

/**
 * A release the webhook claimed but whose rows are not written yet (within about a second, by
 * its nudge or wake-up): its fields as they will be written, `pendingWriteOut: true` and no
 * rollouts. Read-only, like the rest of the status API.
 */
export async function getPendingReleaseView(
  deps: Pick<Deps<StatusStore>, 'store' | 'config'>,
  id: string,
): Promise<ReleaseDetailView | undefined> {
  const pending = await findPendingRelease(deps, id);
  if (!pending) return undefined;
  return { ...releaseFields(pending.release), pendingWriteOut: true, rollouts: [] };
}
