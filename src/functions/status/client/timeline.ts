// The release detail view's timeline: one row per region, inline SVG. Bars come only from the
// release's own timestamps (pushedAt, replicaReadyAt, startedAt, finishedAt) plus the audit trail,
// so widths are checkable against the JSON: replicating (push -> replica ready), waiting (replica
// ready -> start, split by what it waited for where known) and rolling out (start -> finish);
// markers for failures and operator actions.
import type { AuditEntry, ReleaseDetailView } from './api-types';
import { el, svgEl } from './dom';
import { fmtDuration, fmtEpoch, ms, releaseName } from './format';
import { RETRYING, waitPieces, type Piece } from './waits';

const TERMINAL = [
  'succeeded',
  'failed',
  'superseded',
  'skipped',
  'replication-timed-out',
  'halted',
  'dry-run',
  'canceled',
];

type Rollout = ReleaseDetailView['rollouts'][number];

interface Mark {
  kind: 'failure' | 'action';
  at: number;
  title: string;
}

/** Bars and markers of one region rollout, in time order; `now` closes what is still open. */
function timelineOf(
  rel: ReleaseDetailView,
  r: Rollout,
  audit: AuditEntry[] | null,
  now: number,
): { bars: Piece[]; marks: Mark[] } {
  const done = TERMINAL.includes(r.state);
  const end = done ? ms(r.finishedAt) || ms(r.updatedAt) || now : now;
  const push = ms(rel.pushedAt);
  const ready = ms(r.replicaReadyAt);
  const start = ms(r.startedAt);
  const fin = ms(r.finishedAt);
  const bars: Array<{ kind: string; from: number; to: number | null }> = [];
  const marks: Mark[] = [];
  if (push !== null) bars.push({ kind: 'replicating', from: push, to: ready ?? start ?? end });
  if (ready !== null) {
    const waitEnd = start ?? end;
    bars.push(...waitPieces(rel, r, Math.max(ready, push || ready), waitEnd, start === null && !done, audit));
  }
  if (start !== null) {
    const retrying = !done && RETRYING.test(r.reason || '');
    const rollEnd = fin !== null ? fin : retrying ? ms(r.updatedAt) : end;
    bars.push({ kind: 'rolling-out', from: start, to: rollEnd });
    if (retrying && rollEnd !== null) {
      marks.push({ kind: 'failure', at: rollEnd, title: r.reason });
      bars.push({ kind: 'wait-backoff', from: rollEnd, to: now });
    }
  }
  if (r.state === 'failed' || r.state === 'replication-timed-out')
    marks.push({ kind: 'failure', at: fin ?? end, title: r.state + ': ' + r.reason });
  for (const a of audit ?? []) {
    const mine =
      a.releaseId === rel.id
        ? (!a.region || a.region === r.region) && (a.wave === undefined || a.wave === r.wave)
        : (a.action === 'hold' || a.action === 'unhold') && a.region === r.region;
    const at = ms(a.at);
    if (mine && at !== null && push !== null && at >= push && at <= end)
      marks.push({
        kind: 'action',
        at,
        title: a.action + ' by ' + a.actor + (a.reason ? ': ' + a.reason : ''),
      });
  }
  return {
    bars: bars.filter((b): b is Piece => b.to !== null && b.to > b.from),
    marks,
  };
}

const TL = { left: 190, width: 640, row: 28, bar: 14, top: 22 };

interface TimelineRow {
  r: Rollout;
  tl: { bars: Piece[]; marks: Mark[] };
}

/** Where the time axis places an instant: t0 (the push, or the earliest bar) at TL.left. */
interface TimeAxis {
  t0: number;
  t1: number;
  scale: number;
  xOf: (t: number) => number;
}

/** From the push (or the earliest bar) to the latest bar or marker, never empty. */
function timeAxisOf(rel: ReleaseDetailView, rows: TimelineRow[], now: number): TimeAxis {
  let t0 = ms(rel.pushedAt) || now;
  let t1 = t0 + 1;
  for (const x of rows) {
    for (const b of x.tl.bars) {
      t0 = Math.min(t0, b.from);
      t1 = Math.max(t1, b.to);
    }
    for (const m of x.tl.marks) t1 = Math.max(t1, m.at);
  }
  const scale = TL.width / (t1 - t0);
  return { t0, t1, scale, xOf: (t: number) => TL.left + (t - t0) * scale };
}

/** The axis line with its ticks: the start time, then the elapsed time at the middle and the end. */
function drawAxis(svg: SVGElement, axis: TimeAxis): void {
  svg.appendChild(
    svgEl('line', { class: 'tl-axis', x1: TL.left, x2: TL.left + TL.width, y1: TL.top - 4, y2: TL.top - 4 }),
  );
  for (const f of [0, 0.5, 1]) {
    const t = svgEl('text', {
      class: 'tl-tick',
      x: TL.left + f * TL.width,
      y: TL.top - 8,
      'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle',
    });
    t.textContent = f === 0 ? fmtEpoch(axis.t0) : '+' + fmtDuration((axis.t1 - axis.t0) * f);
    svg.appendChild(t);
  }
}

function barRect(b: Piece, state: string, y: number, axis: TimeAxis): SVGElement {
  const kind = b.kind === 'rolling-out' && state === 'succeeded' ? 'done-succeeded' : b.kind;
  const rect = svgEl('rect', {
    class: 'bar tl-' + kind,
    'data-kind': b.kind,
    x: axis.xOf(b.from).toFixed(2),
    y: y + 2,
    width: Math.max(0.5, (b.to - b.from) * axis.scale).toFixed(2),
    height: TL.bar,
    'data-from': new Date(b.from).toISOString(),
    'data-to': new Date(b.to).toISOString(),
  });
  const title = svgEl('title');
  title.textContent =
    b.kind + ': ' + fmtDuration(b.to - b.from) + ' (' + fmtEpoch(b.from) + ' \u2192 ' + fmtEpoch(b.to) + ')';
  rect.appendChild(title);
  return rect;
}

/** A failure is a cross, an operator action a diamond. */
function markShape(m: Mark, y: number, axis: TimeAxis): SVGElement {
  const cx = axis.xOf(m.at);
  const cy = y + 2 + TL.bar / 2;
  const shape =
    m.kind === 'failure'
      ? svgEl('path', {
          class: 'marker tl-failure',
          d: 'M' + (cx - 5) + ' ' + (cy - 5) + 'l10 10m0 -10l-10 10',
          stroke: '#c50f1f',
          'stroke-width': 3,
        })
      : svgEl('path', { class: 'marker tl-action', d: 'M' + cx + ' ' + (cy - 8) + 'l5 8l-5 8l-5 -8z' });
  shape.setAttribute('data-kind', m.kind);
  shape.setAttribute('data-at', new Date(m.at).toISOString());
  const t = svgEl('title');
  t.textContent = m.title + ' (' + fmtEpoch(m.at) + ')';
  shape.appendChild(t);
  return shape;
}

/** One region's row: its label, its bars, then its markers on top. */
function regionRow(x: TimelineRow, i: number, axis: TimeAxis): SVGElement {
  const y = TL.top + i * TL.row;
  const g = svgEl('g', { 'data-region': x.r.region, 'data-state': x.r.state });
  const label = svgEl('text', { class: 'tl-label', x: 0, y: y + TL.bar });
  label.textContent = x.r.region + ' \u00b7 ' + x.r.state;
  g.appendChild(label);
  for (const b of x.tl.bars) g.appendChild(barRect(b, x.r.state, y, axis));
  for (const m of x.tl.marks) g.appendChild(markShape(m, y, axis));
  return g;
}

export function drawTimeline(rel: ReleaseDetailView, audit: AuditEntry[] | null): SVGElement {
  const now = Date.now();
  const rows = rel.rollouts.map((r) => ({ r, tl: timelineOf(rel, r, audit, now) }));
  const axis = timeAxisOf(rel, rows, now);
  const h = TL.top + rows.length * TL.row + 8;
  const svg = svgEl('svg', {
    viewBox: '0 0 ' + (TL.left + TL.width + 20) + ' ' + h,
    width: TL.left + TL.width + 20,
    height: h,
    role: 'img',
    'aria-label': 'timeline of ' + releaseName(rel) + ' per region',
    'data-t0': axis.t0,
    'data-t1': axis.t1,
  });
  drawAxis(svg, axis);
  rows.forEach((x, i) => svg.appendChild(regionRow(x, i, axis)));
  return svg;
}

const TIMELINE_KEYS: Array<[string, string]> = [
  ['replicating', 'replicating (push \u2192 replica ready)'],
  ['wait-wave', 'waiting for its wave'],
  ['wait-approval', 'waiting for approval'],
  ['wait-hold', 'held'],
  ['wait-backoff', 'back-off after a failure'],
  ['rolling-out', 'rolling out'],
  ['done-succeeded', 'rolled out (succeeded)'],
];

export function timelineLegend(): HTMLUListElement {
  const ul = el('ul', 'tl-legend');
  for (const [kind, text] of TIMELINE_KEYS) {
    const li = el('li');
    const s = svgEl('svg', { width: 14, height: 10, 'aria-hidden': 'true' });
    s.appendChild(svgEl('rect', { class: 'tl-' + kind, width: 14, height: 10 }));
    li.appendChild(s);
    li.appendChild(document.createTextNode(text));
    ul.appendChild(li);
  }
  ul.appendChild(el('li', null, '\u2716 failure \u00b7 \u25c6 operator action'));
  return ul;
}
