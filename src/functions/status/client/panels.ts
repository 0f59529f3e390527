// The panels under the grid: regions and holds (with Hold / Lift hold), the audit trail's
// newest actions, the lag chart and the release detail view.
import { actionButton } from './actions';
import type { Hold } from './api-types';
import { sendJson } from './api';
import { drawDetail } from './detail';
import { byId, el, timeEl } from './dom';
import type { RegionColumns } from './grid';
import { drawLagChart } from './lag-chart';
import { holdOf, view } from './view';

/** A region's line: held (by whom, since when) with Lift hold, or free with Hold. */
function regionHoldItem(region: string): HTMLLIElement {
  const li = el('li');
  li.dataset.region = region;
  li.appendChild(el('b', null, region));
  const hold = holdOf(region);
  if (hold) {
    li.appendChild(el('span', 'flag flag-held', 'held'));
    const who = el('span', 'sub', 'by ' + (hold.actor || '?') + (hold.reason ? ': ' + hold.reason : ''));
    if (hold.at) who.appendChild(timeEl(hold.at, ' since '));
    li.appendChild(who);
    li.appendChild(
      actionButton(
        'Lift hold',
        { action: 'unhold', region, hold: hold.id },
        {
          title: 'Lift the hold on ' + region,
          what: 'Rollouts may start in ' + region + ' again; the newest pending release there proceeds.',
          run: () => sendJson('DELETE', 'holds/' + encodeURIComponent(hold.id)),
        },
      ),
    );
  } else {
    li.appendChild(
      actionButton(
        'Hold',
        { action: 'hold', region },
        {
          title: 'Hold ' + region,
          what:
            'Nothing starts in ' +
            region +
            ' while the hold exists; its rollouts wait ("held: \u2026"). ' +
            'Running ones finish.',
          run: (reason) => sendJson('POST', 'holds', reason ? { region, reason } : { region }),
        },
      ),
    );
  }
  return li;
}

/** A hold on one workload in a region, with Lift hold. */
function workloadHoldItem(h: Hold, workload: string): HTMLLIElement {
  const li = el('li');
  li.dataset.region = h.region;
  li.appendChild(el('b', null, h.region + ' ' + workload));
  li.appendChild(el('span', 'flag flag-held', 'held'));
  li.appendChild(
    actionButton(
      'Lift hold',
      { action: 'unhold', region: h.region, hold: h.id },
      {
        title: 'Lift the hold on ' + workload + ' in ' + h.region,
        what: workload + ' may be changed again.',
        run: () => sendJson('DELETE', 'holds/' + encodeURIComponent(h.id)),
      },
    ),
  );
  return li;
}

function drawHolds(cols: RegionColumns): void {
  const section = byId('holds-section');
  section.hidden = view.holds === null || !view.actions;
  if (section.hidden) return;
  const items = cols.regions.map(regionHoldItem);
  for (const h of view.holds ?? []) if (h.workload) items.push(workloadHoldItem(h, h.workload));
  byId('holds').replaceChildren(...items);
}

function drawAudit(): void {
  const section = byId('audit-section');
  section.hidden = view.audit === null;
  if (view.audit === null) return;
  const rows = view.audit.slice(0, 20).map((a) => {
    const tr = el('tr');
    tr.dataset.action = a.action;
    const when = el('td');
    when.appendChild(timeEl(a.at));
    tr.appendChild(when);
    tr.appendChild(el('td', null, a.actor));
    tr.appendChild(el('td', null, a.action + (a.wave !== undefined ? ' wave ' + a.wave : '')));
    const on = [a.releaseId ? view.names[a.releaseId] || a.releaseId : null, a.region];
    tr.appendChild(el('td', null, on.filter((x) => x).join(' \u00b7 ')));
    tr.appendChild(el('td', 'reason-cell', a.reason || ''));
    tr.appendChild(el('td', null, a.outcome));
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr');
    const td = el('td', 'empty', 'No actions yet.');
    td.colSpan = 6;
    tr.appendChild(td);
    rows.push(tr);
  }
  byId('audit-body').replaceChildren(...rows);
}

export function drawPanels(cols: RegionColumns): void {
  drawHolds(cols);
  drawAudit();
  drawLagChart(view.releases, cols.regions);
  void drawDetail();
}

export function startPanels(): void {
  window.addEventListener('hashchange', () => void drawDetail());
  byId('detail-close').addEventListener('click', (e) => {
    e.preventDefault();
    history.replaceState(null, '', location.pathname + location.search);
    void drawDetail();
  });
}
