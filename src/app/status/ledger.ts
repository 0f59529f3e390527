// "Which version runs where": for every configured region and workload, the digest the product
// put there last and the release that did it, plus the release changing it right now, if any.
import {
  workloadKey,
  type LedgerEntry,
  type LedgerFailure,
  type RegionConfig,
  type Release,
  type Workload,
} from '../../core/model';
import type { StatusStore } from '../../core/model';

export interface InFlightView {
  releaseId: string;
  pushedAt?: string | undefined;
  /** Looked up from the release; absent if the release record is gone. */
  tag?: string | undefined;
  digest?: string | undefined;
}

export interface LedgerWorkloadView {
  /** Ledger key: namespace/Kind/name/container. */
  workload: string;
  repository: string;
  /** null until the product has rolled something out to this workload. */
  digest: string | null;
  tag: string | null;
  releaseId: string | null;
  pushedAt: string | null;
  /** When the ledger entry last changed (the rollout that put this digest there finished). */
  updatedAt: string | null;
  inFlight: InFlightView | null;
  /** 'failed' when the newest attempt here failed after changing the spec (see `failed`). */
  status: 'ok' | 'failed';
  /** That failed attempt: its release, tag and digest (what the spec points at), when and why. */
  failed: LedgerFailure | null;
  /** false for a ledger entry of a workload no longer in the configuration. */
  configured: boolean;
}

export interface LedgerRegionView {
  region: string;
  wave: number;
  workloads: LedgerWorkloadView[];
}

export interface LedgerView {
  regions: LedgerRegionView[];
}

function configuredIn(region: string, workloads: readonly Workload[]): Workload[] {
  return workloads.filter((w) => !w.regions || w.regions.includes(region));
}

export async function ledgerView(deps: {
  store: Pick<StatusStore, 'listLedger' | 'getRelease'>;
  config: { regions: RegionConfig[]; workloads: Workload[] };
}): Promise<LedgerView> {
  const { store, config } = deps;
  const perRegion = await Promise.all(config.regions.map((r) => store.listLedger(r.name)));

  // In-flight releases are few; look each up once for its tag and digest.
  const inFlightIds = new Set(
    perRegion.flat().flatMap((e) => (e.inFlightReleaseId ? [e.inFlightReleaseId] : [])),
  );
  const releases = new Map<string, Release | undefined>();
  await Promise.all([...inFlightIds].map(async (id) => releases.set(id, await store.getRelease(id))));

  const inFlightOf = (e: LedgerEntry | undefined): InFlightView | null => {
    if (!e?.inFlightReleaseId) return null;
    const release = releases.get(e.inFlightReleaseId);
    return {
      releaseId: e.inFlightReleaseId,
      pushedAt: e.inFlightPushedAt,
      tag: release?.tag,
      digest: release?.digest,
    };
  };

  return {
    regions: config.regions.map((region, i) => {
      const entries = perRegion[i] ?? [];
      const byKey = new Map(entries.map((e) => [e.workload, e]));
      const configured = configuredIn(region.name, config.workloads);
      const keys = [
        ...configured.map((w) => workloadKey(w)),
        ...entries.map((e) => e.workload).filter((k) => !configured.some((w) => workloadKey(w) === k)),
      ];
      return {
        region: region.name,
        wave: region.wave,
        workloads: keys.map((key): LedgerWorkloadView => {
          const entry = byKey.get(key);
          // An entry with an empty digest only holds a first rollout's lock: nothing runs from us yet.
          const running = entry && entry.digest !== '' ? entry : undefined;
          const w = configured.find((c) => workloadKey(c) === key);
          return {
            workload: key,
            repository: running?.repository ?? w?.repository ?? entry?.repository ?? '',
            digest: running?.digest ?? null,
            tag: running ? running.tag : null,
            releaseId: running?.releaseId ?? null,
            pushedAt: running?.pushedAt ?? null,
            updatedAt: running?.updatedAt ?? null,
            inFlight: inFlightOf(entry),
            status: entry?.failed ? 'failed' : 'ok',
            failed: entry?.failed ?? null,
            configured: w !== undefined,
          };
        }),
      };
    }),
  };
}
