// The JSON the page reads. Release shapes come from the server's own view types; the ledger,
// holds and audit ones are declared here because their server modules pull in Node-only code,
// and dev/build-page.ts checks at compile time that what the routes send fits these (the .js
// extensions: that check sees this file as an ES module under the root's Node16 resolution).
import type { ReleaseDetailView, ReleaseSummaryView, RolloutSummaryView } from '../../../app/status/views.js';
import type { LedgerFailure, RegionRolloutState } from '../../../core/model/records.js';

export type { ReleaseDetailView, ReleaseSummaryView, RolloutSummaryView, RegionRolloutState };

/** GET /api/releases (one page). */
export interface ReleasesAnswer {
  releases: ReleaseSummaryView[];
}

export interface LedgerWorkload {
  workload: string;
  repository: string;
  digest: string | null;
  tag: string | null;
  updatedAt: string | null;
  inFlight: { releaseId: string; tag?: string | undefined; digest?: string | undefined } | null;
  status: 'ok' | 'failed';
  failed: LedgerFailure | null;
}

export interface LedgerRegion {
  region: string;
  wave: number;
  workloads: LedgerWorkload[];
}

/** GET /api/ledger. */
export interface LedgerAnswer {
  regions: LedgerRegion[];
}

export interface Hold {
  id: string;
  region: string;
  workload?: string | undefined;
  reason?: string | undefined;
  actor: string;
  at: string;
}

/** GET /api/holds answers `{ holds }`; a bare list is read too. */
export type HoldsAnswer = { holds?: Hold[] | undefined } | Hold[];

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  releaseId?: string | undefined;
  region?: string | undefined;
  wave?: number | undefined;
  reason?: string | undefined;
  outcome: string;
}

/** GET /api/audit (one page, newest first). */
export interface AuditAnswer {
  entries?: AuditEntry[] | undefined;
}
