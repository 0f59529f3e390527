// "Running now", the ledger table. A workload whose newest attempt failed (ledger status
// "failed") is drawn in red with the failed release and digest, next to the last release that
// succeeded there.
import type { LedgerAnswer, LedgerWorkload } from './api-types';
import { byId, el, timeEl } from './dom';
import { shortDigest } from './format';

function ledgerFailure(w: LedgerWorkload): HTMLSpanElement {
  const f = w.failed;
  const box = el('span', 'ledger-failed');
  box.appendChild(
    el('b', null, 'failed: ' + (f?.tag ? w.repository + ':' + f.tag : f?.releaseId || 'newest attempt')),
  );
  if (f?.digest) {
    const d = el('span', 'sub mono', shortDigest(f.digest));
    d.title = f.digest;
    box.appendChild(d);
  }
  if (f?.at) box.appendChild(timeEl(f.at, 'at '));
  if (f?.reason) box.appendChild(el('span', 'reason', f.reason));
  return box;
}

function ledgerCell(w: LedgerWorkload): HTMLTableCellElement {
  const td = el('td');
  td.dataset.workload = w.workload;
  td.dataset.digest = w.digest || '';
  td.dataset.status = w.status || 'ok';
  if (w.digest) {
    td.appendChild(el('span', 'tag', w.repository + ':' + (w.tag || '(digest)')));
    const d = el('span', 'sub mono', shortDigest(w.digest));
    d.title = w.digest;
    td.appendChild(d);
    const since = el('span', 'sub');
    since.appendChild(timeEl(w.updatedAt, 'since '));
    td.appendChild(since);
  } else {
    td.appendChild(el('span', 'sub', 'not changed by this app yet'));
  }
  if (w.status === 'failed') {
    td.className = 'failed';
    if (w.failed) td.dataset.failedDigest = w.failed.digest || '';
    td.appendChild(ledgerFailure(w));
  }
  if (w.inFlight) {
    const label = '\u2192 ' + (w.inFlight.tag ? w.inFlight.tag : w.inFlight.releaseId) + ' rolling out';
    const chip = el('span', 'inflight', label);
    chip.title =
      'release ' + w.inFlight.releaseId + (w.inFlight.digest ? ' (' + w.inFlight.digest + ')' : '');
    td.appendChild(chip);
  }
  return td;
}

export function drawLedger(ledger: LedgerAnswer): void {
  const workloads: string[] = [];
  for (const r of ledger.regions)
    for (const w of r.workloads) if (!workloads.includes(w.workload)) workloads.push(w.workload);
  const tr = el('tr');
  const first = el('th', null, 'Region');
  first.scope = 'col';
  tr.appendChild(first);
  for (const w of workloads) {
    const th = el('th', 'mono', w);
    th.scope = 'col';
    tr.appendChild(th);
  }
  byId('ledger-head').replaceChildren(tr);

  byId('ledger-body').replaceChildren(
    ...ledger.regions.map((r) => {
      const row = el('tr');
      row.dataset.region = r.region;
      const th = el('th', null, r.region);
      th.scope = 'row';
      row.appendChild(th);
      for (const key of workloads) {
        const w = r.workloads.find((x) => x.workload === key);
        if (w) {
          row.appendChild(ledgerCell(w));
          continue;
        }
        const td = el('td', 'none', '\u2014');
        td.dataset.workload = key;
        row.appendChild(td);
      }
      return row;
    }),
  );
}
