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

/** Each region's lag per release (null where it has no figure), and the largest lag of all. */
function lagsOf(
  rels: ReleaseSummaryView[],
  regions: string[],
): { lags: Map<string, Array<number | null>>; max: number } {
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
  return { lags, max };
}

/** Each region's median lag, and the region with the highest median (the first of equals). */
function mediansOf(
  regions: string[],
  lagsIn: (region: string) => Array<number | null>,
): { medians: Map<string, number | null>; slowest: string | null } {
  const medians = new Map<string, number | null>();
  let slowest: string | null = null;
  let slowestMedian = 0;
  for (const g of regions) {
    const m = median(lagsIn(g).filter((v): v is number => v !== null));
    medians.set(g, m);
    if (m !== null && (slowest === null || m > slowestMedian)) {
      slowest = g;
      slowestMedian = m;
    }
  }
  return { medians, slowest };
}

/** What one row is drawn from: its region, its lags by release, and how the chart scales them. */
interface LagRow {
  region: string;
  y0: number;
  lags: Array<number | null>;
  slowest: boolean;
  max: number;
  rels: ReleaseSummaryView[];
}

function lagBar(row: LagRow, rel: ReleaseSummaryView, j: number, v: number): SVGElement {
  const hgt = row.max > 0 ? Math.max(1, (v / row.max) * LAG.bar) : 1;
  const rect = svgEl('rect', {
    class: 'lag-bar' + (row.slowest ? ' slowest' : ''),
    x: LAG.left + j * LAG.slot + 3,
    y: (row.y0 + LAG.bar - hgt).toFixed(2),
    width: LAG.slot - 6,
    height: hgt.toFixed(2),
    'data-release': rel.id,
    'data-lag-ms': v,
  });
  const t = svgEl('title');
  t.textContent = row.region + ' \u00b7 ' + releaseName(rel) + ': ' + fmtDuration(v);
  rect.appendChild(t);
  return rect;
}

/** One region's row: its name, the axis, a bar per release with a figure, then its median. */
function lagRow(row: LagRow, medianText: string): SVGElement {
  const g = svgEl('g', { 'data-region': row.region });
  if (row.slowest) g.setAttribute('data-slowest', 'true');
  const name = svgEl('text', { class: 'tl-label', x: 0, y: row.y0 + LAG.bar - 8 });
  name.textContent = row.region;
  g.appendChild(name);
  g.appendChild(
    svgEl('line', {
      class: 'tl-axis',
      x1: LAG.left,
      x2: LAG.left + row.rels.length * LAG.slot,
      y1: row.y0 + LAG.bar,
      y2: row.y0 + LAG.bar,
    }),
  );
  row.rels.forEach((rel, j) => {
    const v = row.lags[j];
    if (v === null || v === undefined) return;
    g.appendChild(lagBar(row, rel, j, v));
  });
  const summary = svgEl('text', {
    class: 'tl-tick',
    x: LAG.left + row.rels.length * LAG.slot + 10,
    y: row.y0 + LAG.bar - 8,
  });
  summary.textContent = medianText;
  g.appendChild(summary);
  return g;
}

export function drawLagChart(releases: ReleaseSummaryView[], regions: string[]): void {
  const section = byId('lag-section');
  const rels = releases.slice().reverse(); // oldest -> newest, left to right
  const { lags, max } = lagsOf(rels, regions);
  const lagsIn = (region: string) => lags.get(region) ?? [];
  if (!rels.length || (max === 0 && !regions.some((g) => lagsIn(g).some((v) => v !== null)))) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const { medians, slowest } = mediansOf(regions, lagsIn);
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
    const m = medians.get(g) ?? null;
    const medianText =
      m === null
        ? 'no figures yet'
        : 'median ' + fmtDuration(m) + (g === slowest && regions.length > 1 ? ' \u00b7 slowest' : '');
    const row = { region: g, y0: i * LAG.row, lags: lagsIn(g), slowest: g === slowest, max, rels };
    svg.appendChild(lagRow(row, medianText));
  });
  byId('lag-chart').replaceChildren(svg);
}
