// The legend and the releases-by-region grid. Each row: the release, its chip (a finished release
// with a failed region says "failed"), "rollback of …" for an operator's rollback. Each cell:
// state, flags for held / paused, figures with the approval and hold waits apart from the
// reaction, the whole reason, the superseding release's tag.
import type { LedgerAnswer, ReleaseSummaryView, RolloutSummaryView } from './api-types';
import { cellActions, releaseActions } from './actions';
import { apiUrl } from './api';
import { byId, el, timeEl } from './dom';
import { fmtMs, fmtTime, ms, releaseName, shortDigest } from './format';
import { STATE_HELP, STATES, stateClass } from './states';
import { holdOf, nameOfRelease, view } from './view';
import { waitPieces } from './waits';

export interface RegionColumns {
  regions: string[];
  waves: Record<string, number>;
}

export function drawLegend(): void {
  const ul = byId('legend');
  for (const s of STATES) {
    const li = el('li');
    li.title = STATE_HELP[s];
    li.appendChild(el('span', 'swatch ' + stateClass(s)));
    li.appendChild(el('span', null, s));
    ul.appendChild(li);
  }
}

/** The ledger's regions in its order, then any other region a release targets. */
export function regionColumns(releases: ReleaseSummaryView[], ledger: LedgerAnswer): RegionColumns {
  const regions: string[] = [];
  const waves: Record<string, number> = {};
  for (const r of ledger.regions) {
    regions.push(r.region);
    waves[r.region] = r.wave;
  }
  for (const rel of releases)
    for (const r of rel.rollouts)
      if (!regions.includes(r.region)) {
        regions.push(r.region);
        waves[r.region] = r.wave;
      }
  return { regions, waves };
}

const SUPERSEDED_BY = /superseded by newer release (\d{13}-[0-9a-f]{12})/;
function supersedingName(reason: string): string | null {
  const id = SUPERSEDED_BY.exec(reason || '')?.[1];
  return id ? nameOfRelease(id) : null;
}

const FAILED_STATES = ['failed', 'replication-timed-out'];

/** The release's chip: a finished release with a failed region is "failed", not "done". */
function statusChip(rel: ReleaseSummaryView): HTMLSpanElement {
  const failed = rel.rollouts.filter((r) => FAILED_STATES.includes(r.state));
  let chip: HTMLSpanElement;
  if (rel.status === 'done' && failed.length) {
    chip = el('span', 'chip failed', 'failed');
    chip.title =
      'finished, but it failed in ' + failed.map((r) => r.region + ' (' + r.state + ')').join(', ');
  } else {
    chip = el('span', 'chip' + (rel.status === 'active' ? ' active' : ''), rel.status);
    if (rel.status === 'done') chip.title = 'finished: every region ended';
  }
  chip.dataset.status = chip.textContent ?? '';
  return chip;
}

function releaseHeader(rel: ReleaseSummaryView): HTMLTableCellElement {
  const th = el('th');
  th.scope = 'row';
  const name = el('span', 'rel', releaseName(rel));
  th.appendChild(name);
  th.appendChild(statusChip(rel));
  if (rel.paused) {
    const p = el('span', 'chip paused', 'paused');
    p.title =
      'paused' +
      (rel.pausedBy ? ' by ' + rel.pausedBy : '') +
      (rel.pausedAt ? ' at ' + fmtTime(rel.pausedAt) : '');
    th.appendChild(p);
  }
  if (rel.rollbackOf) {
    // An operator's rollback re-releases an older digest: say which release it goes back to.
    const back = el('span', 'rollback', 'rollback of ' + (nameOfRelease(rel.rollbackOf) || rel.rollbackOf));
    back.title = 'an operator rolled back to release ' + rel.rollbackOf;
    back.dataset.rollbackOf = rel.rollbackOf;
    th.appendChild(back);
  }
  const dig = el('span', 'sub mono', shortDigest(rel.digest));
  dig.title = rel.digest;
  th.appendChild(dig);
  const sub = el('span', 'sub');
  sub.appendChild(timeEl(rel.pushedAt, 'pushed '));
  th.appendChild(sub);
  const links = el('span', 'sub');
  const a = el('a', 'open-detail', 'timeline');
  a.href = '#release=' + encodeURIComponent(rel.id);
  a.setAttribute('aria-label', 'timeline of ' + name.textContent);
  links.appendChild(a);
  links.appendChild(document.createTextNode(' \u00b7 '));
  const j = el('a', null, 'JSON');
  j.href = apiUrl('releases/' + encodeURIComponent(rel.id));
  j.setAttribute('aria-label', 'details of ' + name.textContent + ' (JSON)');
  links.appendChild(j);
  th.appendChild(links);
  th.appendChild(releaseActions(rel));
  return th;
}

/** What the rollout is waiting on besides its state: an operator's hold or pause. */
function rolloutFlags(rel: ReleaseSummaryView, r: RolloutSummaryView): string[] {
  const flags: string[] = [];
  if (/^held\b/i.test(r.reason || '')) flags.push('held');
  if (rel.paused || /^paused by\b/i.test(r.reason || '')) flags.push('paused');
  return flags;
}

/**
 * The reaction delay split by what it waited for (from the audit trail, as the timeline does):
 * an operator's approval, a hold, and the rest (the product's own reaction, its wave included).
 * null when it cannot be told (no audit on this host, or the approval is older than what the page read).
 */
function reactionParts(
  rel: ReleaseSummaryView,
  r: RolloutSummaryView,
): { react: number; approval: number; held: number } | null {
  const total = r.figures.reactionDelayMs;
  const start = ms(r.startedAt);
  const audit = view.audit;
  if (total === null || start === null || audit === null) return null;
  const pieces = waitPieces(rel, r, start - total, start, false, audit);
  const sum = (kind: string) => pieces.filter((p) => p.kind === kind).reduce((n, p) => n + p.to - p.from, 0);
  const approval = sum('wait-approval');
  const held = sum('wait-hold');
  const approvedHere = (rel.approvedWaves ?? []).includes(r.wave);
  const approvalRead = audit.some(
    (a) => a.action === 'approve' && a.releaseId === rel.id && a.wave === r.wave,
  );
  if (approvedHere && !approvalRead) return null;
  return { react: Math.max(0, total - approval - held), approval, held };
}

function figuresOf(rel: ReleaseSummaryView, r: RolloutSummaryView): HTMLSpanElement {
  const figs = el('span', 'figs');
  const f = r.figures;
  const parts = reactionParts(rel, r);
  const rows: Array<[string, number | null, string]> = [
    ['lag', f.replicationLagMs, 'replication lag: push to replica holding the digest'],
  ];
  if (parts) {
    if (parts.approval > 0)
      rows.push([
        'approval',
        parts.approval,
        'waiting for an operator to approve wave ' + r.wave + ' (not part of the reaction)',
      ]);
    if (parts.held > 0)
      rows.push(['held', parts.held, 'held by an operator in ' + r.region + ' (not part of the reaction)']);
    rows.push([
      'react',
      parts.react,
      'reaction delay: replica ready to rollout start, without the approval and hold waits',
    ]);
  } else
    rows.push([
      'react',
      f.reactionDelayMs,
      'reaction delay: replica ready to rollout start' +
        ((rel.approvedWaves ?? []).includes(r.wave)
          ? ' (includes the wait for approval: it is older than the audit entries read)'
          : ''),
    ]);
  rows.push(['roll', f.rolloutDurationMs, 'rollout duration']);
  for (const [label, value, title] of rows) {
    const v = fmtMs(value);
    if (v === null || value === null) continue;
    const s = el('span');
    s.title = title;
    s.dataset.figure = label;
    s.dataset.ms = String(Math.round(value));
    s.appendChild(el('b', null, label));
    s.appendChild(document.createTextNode(v));
    figs.appendChild(s);
  }
  return figs;
}

/** Attempts beyond the first, and re-sends of the fenced change after an ambiguous start. */
function triesOf(r: RolloutSummaryView): HTMLSpanElement | null {
  const resends = r.resends || 0;
  const attempts = r.attempts || 0;
  if (attempts <= 1 && !resends) return null;
  const t = el(
    'span',
    'tries',
    'attempts ' + attempts + (resends ? ' \u00b7 re-sent ' + resends + '\u00d7' : ''),
  );
  t.title =
    'rollout attempts started' +
    (resends ? '; re-sends of the same fenced change after a start whose answer was lost' : '');
  t.dataset.attempts = String(attempts);
  t.dataset.resends = String(resends);
  return t;
}

function rolloutCell(rel: ReleaseSummaryView, region: string): HTMLTableCellElement {
  const r = rel.rollouts.find((x) => x.region === region);
  const td = el('td', 'cell');
  td.dataset.region = region;
  td.dataset.release = rel.id;
  if (!r) {
    td.className = 'cell none';
    td.dataset.state = 'none';
    td.textContent = '\u2014';
    td.title = 'not targeted in this region';
    return td;
  }
  const flags = rolloutFlags(rel, r);
  td.className = 'cell ' + stateClass(r.state) + flags.map((f) => ' is-' + f).join('');
  td.dataset.state = r.state;
  if (flags.length) td.dataset.flags = flags.join(' ');
  td.title = r.reason || r.state;
  const state = el('span', 'state', r.state);
  for (const f of flags) state.appendChild(el('span', 'flag flag-' + f, f));
  td.appendChild(state);
  if (r.state === 'superseded') {
    const by = supersedingName(r.reason);
    if (by) td.appendChild(el('span', 'by', 'by ' + by));
  }
  const figs = figuresOf(rel, r);
  if (figs.childNodes.length) td.appendChild(figs);
  const tries = triesOf(r);
  if (tries) td.appendChild(tries);
  if (r.reason) td.appendChild(el('span', 'reason', r.reason));
  const act = cellActions(rel, r);
  if (act) td.appendChild(act);
  return td;
}

export function drawReleases(releases: ReleaseSummaryView[], cols: RegionColumns): void {
  const head = byId('releases-head');
  const tr = el('tr');
  const first = el('th', null, 'Release');
  first.scope = 'col';
  tr.appendChild(first);
  for (const region of cols.regions) {
    const th = el('th', null, region + ' ');
    th.scope = 'col';
    th.dataset.region = region;
    const wave = cols.waves[region];
    if (wave !== undefined) th.appendChild(el('span', 'wave', '(wave ' + wave + ')'));
    const hold = holdOf(region);
    if (hold) {
      const h = el('span', 'flag flag-held', 'held');
      h.title = 'held by ' + hold.actor + (hold.reason ? ': ' + hold.reason : '');
      th.appendChild(h);
    }
    tr.appendChild(th);
  }
  head.replaceChildren(tr);

  const body = byId('releases-body');
  if (!releases.length) {
    const row = el('tr');
    const td = el('td', 'empty', 'No releases yet: push an image to the registry.');
    td.colSpan = cols.regions.length + 1;
    row.appendChild(td);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...releases.map((rel) => {
      const row = el('tr');
      row.dataset.release = rel.id;
      if (rel.rollbackOf) row.dataset.rollbackOf = rel.rollbackOf;
      row.appendChild(releaseHeader(rel));
      for (const region of cols.regions) row.appendChild(rolloutCell(rel, region));
      return row;
    }),
  );
}
