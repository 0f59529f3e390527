// The store on Azure Table Storage: each table module implements its port, assembled here.
//   <p>deliveries  PK = event day,                RK = delivery key            (audit log)
//   <p>releases    PK = 'release', RK = release id (newest first); PK = 'active', RK = <repository>~<id>
//   <p>regions     PK = region,                   RK = 'rollout~<id>' | 'ledger~<workload>' | 'gate' | 'hold~<scope>'
//   <p>signals     PK = <repository>@<digest>,    RK = region                  (regional webhooks)
//   <p>heads       PK = <repository>,             RK = 'tag~<tag>' | 'digest~<tag>~<digest>' | 'pending~<id>' | '~watch'
//   <p>audit       PK = 'audit',                  RK = inverted time + random  (operator actions)
//   <p>holds       PK = 'hold',                   RK = hold id  (before holds moved to regions: migrated, then emptied)
//   <p>rejections  PK = <repository>,             RK = digest
// Every row read back is validated; a row that fails raises CorruptRecordError (never a default).
import type { RolloutStore } from '../../core/model';
import type { OutboxStore } from '../../core/notify';
import { auditStore } from './audit-table';
import { deliveriesStore } from './deliveries-table';
import { headsStore } from './heads-table';
import { outboxStore } from './outbox-table';
import { pendingStore } from './pending-table';
import { holdsStore } from './region-holds';
import { createRolloutIfAbsent, regionsStore } from './region-table';
import { rejectionsStore } from './rejections-table';
import { releasesStore } from './releases-table';
import { signalsStore } from './signals-table';
import { TableSet, type TableStoreConnection } from './table-set';

export type { TableStoreConnection } from './table-set';

export type TableRolloutStore = RolloutStore &
  OutboxStore & {
    /** Table operations sent (one per call or listed page, retries not counted), for the benchmarks. */
    operations: number;
  };

export function openTableRolloutStore(
  connection: TableStoreConnection,
  prefix = 'rollout',
  requestTimeoutMs = 5000,
): TableRolloutStore {
  const set = new TableSet(connection, prefix, requestTimeoutMs);
  const regions = set.table('regions');
  const releases = set.table('releases');
  const heads = set.table('heads');
  return {
    ...deliveriesStore(set.table('deliveries')),
    ...signalsStore(set.table('signals')),
    ...headsStore(heads),
    ...pendingStore(heads),
    ...releasesStore(releases, (rollout) => createRolloutIfAbsent(regions, rollout)),
    ...regionsStore(regions),
    ...holdsStore(regions, set.table('holds')),
    ...rejectionsStore(set.table('rejections')),
    ...auditStore(set.table('audit')),
    ...outboxStore({ regions, releases, audit: set.table('audit') }),
    get operations() {
      return set.operations;
    },
    set operations(n: number) {
      set.operations = n;
    },
  };
}
