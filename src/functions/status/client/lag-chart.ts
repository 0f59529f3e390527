// The main view's replication-lag chart: one row of bars per region over the recent releases
// (oldest -> newest), so a slow replica stands out.
import type { ReleaseSummaryView } from './api-types';
import { byId, svgEl } from './dom';
import { fmtDuration, releaseName } from './format';

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  const at = (i: number) => s[i] ?? 0;
  return s.length % 2 ? at(m) : (at(m - 1) + at(m)) / 2;
}

const LAG = { left: 150, slot: 26, row: 40, bar: 30, right: 190 };

export function drawLagChart(releases: ReleaseSummaryView[], regions: string[]): void {
  const section = byId('lag-section');
  const rels = releases.slice().reverse(); // oldest -> newest, left to right
  const lags = new Map<string, Array<number | null>>();
  let max = 0;
  for (const region of regions)
    lags.set(
      region,
      rels.map((rel) => {
        const v = rel.rollouts.find((x) => x.region === region)?.figures.replicationLagMs;
        if (typeof v === 'number') max = Math.max(max, v);
        return typeof v === 'number' ? v : null;
      }),
    );
  const lagsOf = (region: string) => lags.get(region) ?? [];
  if (!rels.length || (max === 0 && !regions.some((g) => lagsOf(g).some((v) => v !== null)))) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const medians = new Map<string, number | null>();
  let slowest: string | null = null;
  let slowestMedian = 0;
  for (const g of regions) {
    const m = median(lagsOf(g).filter((v): v is number => v !== null));
    medians.set(g, m);
    if (m !== null && (slowest === null || m > slowestMedian)) {
      slowest = g;
      slowestMedian = m;
    }
  }
  const w = LAG.left + rels.length * LAG.slot + LAG.right;
  const svg = svgEl('svg', {
    id: 'lag-svg',
    viewBox: '0 0 ' + w + ' ' + regions.length * LAG.row,
    width: w,
    height: regions.length * LAG.row,
    role: 'img',
    'aria-label': 'replication lag per region, oldest release first',
  });
  regions.forEach((g, i) => {
    const y0 = i * LAG.row;
    const row = svgEl('g', { 'data-region': g });
    if (g === slowest) row.setAttribute('data-slowest', 'true');
    const name = svgEl('text', { class: 'tl-label', x: 0, y: y0 + LAG.bar - 8 });
    name.textContent = g;
    row.appendChild(name);
    row.appendChild(
      svgEl('line', {
        class: 'tl-axis',
        x1: LAG.left,
        x2: LAG.left + rels.length * LAG.slot,
        y1: y0 + LAG.bar,
        y2: y0 + LAG.bar,
      }),
    );
    rels.forEach((rel, j) => {
      const v = lagsOf(g)[j];
      if (v === null || v === undefined) return;
      const hgt = max > 0 ? Math.max(1, (v / max) * LAG.bar) : 1;
      const rect = svgEl('rect', {
        class: 'lag-bar' + (g === slowest ? ' slowest' : ''),
        x: LAG.left + j * LAG.slot + 3,
        y: (y0 + LAG.bar - hgt).toFixed(2),
        width: LAG.slot - 6,
        height: hgt.toFixed(2),
        'data-release': rel.id,
        'data-lag-ms': v,
      });
      const t = svgEl('title');
      t.textContent = g + ' \u00b7 ' + releaseName(rel) + ': ' + fmtDuration(v);
      rect.appendChild(t);
      row.appendChild(rect);
    });
    const summary = svgEl('text', {
      class: 'tl-tick',
      x: LAG.left + rels.length * LAG.slot + 10,
      y: y0 + LAG.bar - 8,
    });
    const m = medians.get(g) ?? null;
    summary.textContent =
      m === null
        ? 'no figures yet'
        : 'median ' + fmtDuration(m) + (g === slowest && regions.length > 1 ? ' \u00b7 slowest' : '');
    row.appendChild(summary);
    svg.appendChild(row);
  });
  byId('lag-chart').replaceChildren(svg);
}
