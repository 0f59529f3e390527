// The status page's release timeline and replication-lag chart in real Chromium, against the
// local host and the simulators: the SVG bars follow the release's own timestamps (order and
// widths), a failed region gets a failure marker and its whole reason, a superseded cell names
// the tag that superseded it, and the lag chart marks the slowest replica. With
// UPDATE_SCREENSHOTS=1 it also refreshes docs/dashboard-timeline.png.
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../../dev/demo-screenshot';
import { startStack, type Stack } from '../../dev/stack';
import type { ReleaseDetailView } from '../../src/app/status/views';
import { releaseDone, rolloutReaches } from './support';

const KEY = 'test-function-key';
let stack: Stack;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium"`);
  stack = await startStack({
    delays: { westeurope: 400, southeastasia: 1500 },
    rolloutMs: 150,
    pullFailureDelayMs: 150,
    reconcileEverySeconds: 1,
    policy: { maxAttempts: 1 },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (/\/api\/(holds|audit)\b/.test(m.location().url) && m.text().includes('404')) return;
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // Two clean releases, then one whose westeurope rollout fails (its cluster cannot pull the
  // digest although the registry says the replica holds it), then a waiting one superseded.
  for (const tag of ['1.0.0', '1.0.1']) {
    const push = stack.acr.push({ repository: 'my-app', tag });
    ids[tag] = (await releaseDone(stack, push.digest)).id;
  }
  const real = stack.acr.holds;
  stack.aks.setReplicaHolds((region, repo, digest) => region !== 'westeurope' && real(region, repo, digest));
  const bad = stack.acr.push({ repository: 'my-app', tag: '1.1.0-bad' });
  ids['1.1.0-bad'] = (await releaseDone(stack, bad.digest)).id;
  stack.aks.setReplicaHolds(real);
  stack.acr.setFaults({ stuckRegions: ['southeastasia'] });
  const older = stack.acr.push({ repository: 'my-app', tag: '1.2.0' });
  await rolloutReaches(stack, older.digest, 'southeastasia', (s) => s === 'waiting-for-replica', 'waits');
  const newer = stack.acr.push({ repository: 'my-app', tag: '1.2.1' });
  // 1.2.0 waits there for 1.2.1 (pending behind its wave 0) and is superseded once 1.2.1 rolls out
  // there (no region is stranded behind a newer release that might still fail).
  await rolloutReaches(
    stack,
    newer.digest,
    'southeastasia',
    (s) => s === 'waiting-for-replica',
    'is planned',
  );
  stack.acr.setFaults({ stuckRegions: [] });
  ids['1.2.0'] = (
    await rolloutReaches(stack, older.digest, 'southeastasia', (s) => s === 'superseded', 'superseded')
  ).id;
  ids['1.2.1'] = (await releaseDone(stack, newer.digest)).id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface Bar {
  kind: string;
  x: number;
  width: number;
}
const barsOf = (region: string) =>
  page.$$eval(`#detail-body svg g[data-region="${region}"] rect.bar`, (rs) =>
    rs.map((r) => ({
      kind: r.getAttribute('data-kind') ?? '',
      x: Number(r.getAttribute('x')),
      width: Number(r.getAttribute('width')),
    })),
  );

describe('the release timeline', () => {
  it('when a finished release is opened, then each region’s bars follow its own timestamps in order and width', async () => {
    const id = ids['1.0.0']!;
    await page.goto(`${stack.host.url}/api/dashboard?code=${KEY}#release=${id}`);
    await page.waitForSelector(`#detail-section[data-release="${id}"] svg g[data-region] rect.bar`);
    const detail = await stack.api<ReleaseDetailView>(`/api/releases/${id}`);
    const svg = page.locator('#detail-body .timeline > svg');
    const t0 = Number(await svg.getAttribute('data-t0'));
    const t1 = Number(await svg.getAttribute('data-t1'));
    const at = (iso: string | undefined) => Date.parse(iso!);
    expect(t0).toBe(at(detail.pushedAt));
    expect(t1).toBe(Math.max(...detail.rollouts.map((r) => at(r.finishedAt))));
    const pxPerMs = 640 / (t1 - t0);

    for (const r of detail.rollouts) {
      const push = at(detail.pushedAt);
      const ready = Math.max(push, at(r.replicaReadyAt));
      const expected = [
        { kind: 'replicating', from: push, to: ready },
        { kind: 'wait-wave', from: ready, to: at(r.startedAt) },
        { kind: 'rolling-out', from: at(r.startedAt), to: at(r.finishedAt) },
      ].filter((s) => s.to > s.from);
      const bars: Bar[] = await barsOf(r.region);
      expect(
        bars.map((b) => b.kind),
        r.region,
      ).toEqual(expected.map((s) => s.kind));
      bars.forEach((b, i) => {
        const s = expected[i]!;
        expect(b.x, `${r.region} ${b.kind} x`).toBeCloseTo(190 + (s.from - t0) * pxPerMs, 1);
        expect(b.width, `${r.region} ${b.kind} width`).toBeCloseTo(
          Math.max(0.5, (s.to - s.from) * pxPerMs),
          1,
        );
        if (i > 0) expect(b.x).toBeGreaterThanOrEqual(bars[i - 1]!.x + bars[i - 1]!.width - 0.02);
      });
    }
    // southeastasia's replica is the slow one: its replicating bar is the widest.
    const rep = async (region: string) =>
      (await barsOf(region)).find((b) => b.kind === 'replicating')?.width ?? 0;
    expect(await rep('southeastasia')).toBeGreaterThan(await rep('eastus'));
  });

  it('when a region failed, then its row carries a failure marker and the grid shows the whole reason, wrapped', async () => {
    const id = ids['1.1.0-bad']!;
    await page.evaluate(`location.hash = ${JSON.stringify(`#release=${id}`)}`);
    await page.waitForSelector(
      `#detail-section[data-release="${id}"] g[data-region="westeurope"] path[data-kind="failure"]`,
    );
    const detail = await stack.api<ReleaseDetailView>(`/api/releases/${id}`);
    const failed = detail.rollouts.find((r) => r.region === 'westeurope')!;
    expect(failed.state).toBe('failed');
    const marker = page.locator('g[data-region="westeurope"] path[data-kind="failure"]');
    expect(await marker.getAttribute('data-at')).toBe(new Date(Date.parse(failed.finishedAt!)).toISOString());

    const cell = page.locator(`td[data-release="${id}"][data-region="westeurope"] .reason`);
    expect(failed.reason.length).toBeGreaterThan(35);
    expect(await cell.textContent()).toBe(failed.reason);
    const box = await cell.evaluate((e) => ({
      clipped: e.scrollWidth > e.clientWidth + 1,
      overflow: e.ownerDocument.defaultView!.getComputedStyle(e).textOverflow,
      lines: Math.round(
        e.getBoundingClientRect().height /
          parseFloat(e.ownerDocument.defaultView!.getComputedStyle(e).lineHeight),
      ),
    }));
    expect(box.clipped).toBe(false);
    expect(box.overflow).not.toBe('ellipsis');
    if (failed.reason.length > 60) expect(box.lines).toBeGreaterThan(1);
  });

  it('when a release was superseded in a region, then that cell names the superseding tag', async () => {
    const sel = `td[data-release="${ids['1.2.0']!}"][data-region="southeastasia"]`;
    await page.waitForSelector(`${sel}[data-state="superseded"] .by`).catch(async (e: unknown) => {
      // What the page shows instead (seen once under load): the cell, the banner, the refresh time.
      const shown = await page
        .evaluate(
          `(() => { const c = document.querySelector(${JSON.stringify(sel)}); const b = document.getElementById('banner');
            return { cell: c ? c.outerHTML : 'no such cell', banner: b && !b.hidden ? b.textContent : '',
              updated: document.getElementById('updated').textContent, now: new Date().toISOString() }; })()`,
        )
        .catch((x: unknown) => String(x));
      throw new Error(`${String(e)}\npage: ${JSON.stringify(shown)}`);
    });
    expect(await page.locator(`${sel} .by`).textContent()).toBe('by my-app:1.2.1');
    // Times carry a date and a zone.
    const pushed = await page.locator(`tr[data-release="${ids['1.2.0']!}"] time`).first().textContent();
    expect(pushed).toMatch(/^pushed \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+$/);
  });

  it('then the lag chart has a bar per region and release, heights in proportion, the slowest region marked', async () => {
    await page.waitForSelector('#lag-svg g[data-region] rect.lag-bar');
    const rels = (
      await stack.api<{
        releases: Array<{
          id: string;
          rollouts: Array<{ region: string; figures: { replicationLagMs: number | null } }>;
        }>;
      }>('/api/releases?limit=12')
    ).releases;
    const bars = await page.$$eval('#lag-svg rect.lag-bar', (rs) =>
      rs.map((r) => ({
        region: r.parentElement!.getAttribute('data-region')!,
        release: r.getAttribute('data-release')!,
        lag: Number(r.getAttribute('data-lag-ms')),
        height: Number(r.getAttribute('height')),
      })),
    );
    const max = Math.max(...bars.map((b) => b.lag));
    for (const b of bars) {
      const api = rels.find((r) => r.id === b.release)!.rollouts.find((r) => r.region === b.region)!;
      expect(b.lag).toBe(api.figures.replicationLagMs);
      expect(b.height).toBeCloseTo(Math.max(1, (b.lag / max) * 30), 1);
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const m = Math.floor(s.length / 2);
      return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    const medians = stack.regions.map((g) => ({
      g,
      m: median(bars.filter((b) => b.region === g).map((b) => b.lag)),
    }));
    const slowest = medians.reduce((a, b) => (b.m > a.m ? b : a)).g;
    expect(await page.locator('#lag-svg g[data-slowest="true"]').getAttribute('data-region')).toBe(slowest);
    expect(slowest).toBe('southeastasia');

    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await page.evaluate(`location.hash = ${JSON.stringify(`#release=${ids['1.1.0-bad']!}`)}`);
      await page.waitForSelector(`#detail-section[data-release="${ids['1.1.0-bad']!}"] svg`);
      await page.screenshot({ path: 'docs/dashboard-timeline.png', fullPage: true });
    }
    expect(problems).toEqual([]);
  });
});
