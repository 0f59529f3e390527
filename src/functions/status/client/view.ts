// What the page knows between refreshes, shared by everything that draws.
import type { AuditEntry, Hold, ReleaseSummaryView } from './api-types';
import { getJson } from './api';
import { releaseName } from './format';

export const view: {
  releases: ReleaseSummaryView[];
  /** Release id -> its name (repository:tag), for releases named by id elsewhere. */
  names: Record<string, string>;
  /** null: this host has no holds route. */
  holds: Hold[] | null;
  /** null: this host has no audit route (and then no action routes either). */
  audit: AuditEntry[] | null;
  actions: boolean;
} = { releases: [], names: {}, holds: null, audit: null, actions: false };

// Reasons and rollbacks name other releases by id; operators know them by their tag. A release
// not on the page is looked up once; until it answers (or if it is gone) the id is shown.
const lookedUp = new Set<string>();
export function nameOfRelease(id: string): string | null {
  const known = view.names[id];
  if (known) return known;
  if (!lookedUp.has(id)) {
    lookedUp.add(id);
    getJson<ReleaseSummaryView>('releases/' + encodeURIComponent(id)).then(
      (rel) => {
        view.names[id] = releaseName(rel);
      },
      () => {
        // gone: the id stays
      },
    );
  }
  return null;
}

/** The hold on a whole region, if any. */
export function holdOf(region: string): Hold | null {
  return (view.holds ?? []).find((h) => h.region === region && !h.workload) ?? null;
}
