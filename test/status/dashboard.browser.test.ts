// The status page in real Chromium during a simulated rollout with a slow region: the grid shows
// each region's state and follows the rollout without a reload, the CSP header is set (and the
// page breaks none of it), and it never reaches beyond the host that served it.
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../../dev/demo-screenshot';
import { startStack, type Stack } from '../../dev/stack';
import { releaseOf, until } from './support';

const KEY = 'test-function-key';

let stack: Stack;
let browser: Browser;
let page: Page;
const requests: string[] = [];
const problems: string[] = [];
let navigations = 0;
let cspHeader: string | null = null;

beforeAll(async () => {
  // Fail loudly: a skipped browser test would hide a broken status page.
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install it with "apt-get install -y chromium" (dev/setup.sh does)`,
    );
  stack = await startStack({
    delays: { westeurope: 300, southeastasia: 600 },
    rolloutMs: 150,
    pullFailureDelayMs: 150,
    reconcileEverySeconds: 1,
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    // A host without the operator routes answers 404 to the page's one probe of each: expected.
    if (/\/api\/(holds|audit)\b/.test(m.location().url) && m.text().includes('404')) return;
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations++;
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the status page', () => {
  it('when loaded, then it is served with a nonce CSP that its own style and script satisfy', async () => {
    const res = await page.goto(`${stack.host.url}/api/dashboard?code=${KEY}`);
    expect(res?.status()).toBe(200);
    const headers = res!.headers();
    cspHeader = headers['content-security-policy'] ?? null;
    expect(headers['content-type']).toContain('text/html');
    expect(cspHeader).toMatch(
      /^default-src 'none'; script-src 'nonce-[A-Za-z0-9+/=]+'; style-src 'nonce-[A-Za-z0-9+/=]+'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    const nonce = /script-src 'nonce-([^']+)'/.exec(cspHeader!)![1]!;
    const html = await res!.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere: no CDN, fonts or links out
    // A second load gets a fresh nonce.
    const again = await fetch(`${stack.host.url}/api/dashboard`);
    expect(again.headers.get('content-security-policy')).not.toBe(cspHeader);

    // The script ran (so the nonce worked): the legend and an empty grid are drawn.
    await page.waitForSelector('#legend li');
    expect(await page.locator('#legend li').allTextContents()).toContain('waiting-for-replica');
    // A release older by version (order semver) is drawn like a superseded one.
    const swatch = (state: string) =>
      page
        .locator('#legend li', { hasText: new RegExp(`^${state}$`) })
        .locator('.swatch')
        .evaluate((e) => {
          const w = globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } };
          return w.getComputedStyle(e).backgroundColor;
        });
    expect(await swatch('skipped')).toBe(await swatch('superseded'));
    await page.waitForSelector('#releases-body td.empty');
    expect(await page.locator('#releases thead th').allTextContents()).toEqual([
      'Release',
      'eastus (wave 0)',
      'westeurope (wave 1)',
      'southeastasia (wave 1)',
    ]);
  });

  it('when a push rolls out, then the grid shows each region’s state and follows it to succeeded without a reload', async () => {
    // southeastasia's replica is held back, so the page must first show it waiting.
    stack.acr.setFaults({ stuckRegions: ['southeastasia'] });
    const push = stack.acr.push({ repository: 'my-app', tag: '1.0.0' });
    const rel = await until('the release', () => releaseOf(stack, push.digest));
    const cell = (region: string, state?: string) =>
      `td[data-release="${rel.id}"][data-region="${region}"]` + (state ? `[data-state="${state}"]` : '');

    await page.waitForSelector(cell('eastus', 'succeeded'), { timeout: 30_000 });
    await page.waitForSelector(cell('westeurope', 'succeeded'), { timeout: 30_000 });
    await page.waitForSelector(cell('southeastasia', 'waiting-for-replica'), { timeout: 30_000 });
    const waiting = page.locator(cell('southeastasia'));
    expect(await waiting.locator('.state').textContent()).toBe('waiting-for-replica');
    expect(await waiting.getAttribute('title')).toMatch(/replica/);
    expect(await waiting.getAttribute('class')).toContain('st-waiting-for-replica');

    // Figures are drawn for a finished region.
    const done = page.locator(cell('westeurope'));
    expect(await done.locator('.figs').textContent()).toMatch(/lag\s*\d.*react\s*\d.*roll\s*\d/);
    const rowHeader = page.locator(`tr[data-release="${rel.id}"] th`);
    expect(await rowHeader.textContent()).toContain('my-app:1.0.0');
    expect(await rowHeader.textContent()).toContain(push.digest.slice(7, 19));

    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
    });
    const navigationsBefore = navigations;
    stack.acr.setFaults({ stuckRegions: [] });
    await page.waitForSelector(cell('southeastasia', 'succeeded'), { timeout: 30_000 });

    // Same document: refreshed in place, not reloaded.
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    expect(navigations).toBe(navigationsBefore);

    // The ledger shows what runs where now.
    await page.waitForSelector(
      `#ledger-body tr[data-region="southeastasia"] td[data-digest="${push.digest}"]`,
      { timeout: 30_000 },
    );
    for (const region of stack.regions) {
      const text = await page.locator(`#ledger-body tr[data-region="${region}"] td`).textContent();
      expect(text).toContain('my-app:1.0.0');
      expect(text).toContain(push.digest.slice(7, 19));
    }
    // Times carry a date and a zone.
    expect(await page.locator('#updated').textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+$/);
  });

  it('when a start’s answer is lost, then the cell shows the attempt and the re-send of the fenced change', async () => {
    // westeurope's runCommand POST hangs once (the command still runs): the start is ambiguous,
    // keeps its claim and is re-sent; the page shows it next to the attempt count.
    stack.aks.injectFault({ on: 'runCommand', effect: 'hang', times: 1, cluster: 'aks-westeurope' });
    const push = stack.acr.push({ repository: 'my-app', tag: '1.0.1' });
    const rel = await until('the release', () => releaseOf(stack, push.digest));
    const cell = `td[data-release="${rel.id}"][data-region="westeurope"]`;
    await page.waitForSelector(`${cell}[data-state="succeeded"] .tries[data-resends="1"]`, {
      timeout: 90_000,
    });
    expect(await page.locator(`${cell} .tries`).textContent()).toBe('attempts 1 \u00b7 re-sent 1\u00d7');
    // A region whose start was answered shows no such line.
    expect(await page.locator(`td[data-release="${rel.id}"][data-region="eastus"] .tries`).count()).toBe(0);
    const detail = await stack.api<{
      rollouts: Array<{ region: string; attempts: number; resends: number }>;
    }>(`/api/releases/${rel.id}`);
    expect(detail.rollouts.find((r) => r.region === 'westeurope')).toMatchObject({ attempts: 1, resends: 1 });
  }, 120_000);

  it('then every request stayed on the host, the API calls carried the function key, and nothing was blocked', () => {
    expect(requests.length).toBeGreaterThan(2);
    for (const url of requests) expect(url.startsWith(`${stack.host.url}/`), url).toBe(true);
    const api = requests.filter((u) => /\/api\/(releases|ledger)/.test(u));
    expect(api.length).toBeGreaterThan(2);
    for (const url of api) expect(new URL(url).searchParams.get('code'), url).toBe(KEY);
    expect(problems).toEqual([]);
  });

  it('when an API request never answers, then the banner says so after 15 s and the next refresh recovers (fake clock)', async () => {
    const p = await browser.newPage();
    try {
      await p.clock.install();
      // Every API route hangs: the page's four requests are held and never answered. Each one's
      // timeout starts in the order the page asks (releases first), so releases is named.
      const API = /\/api\/(releases|ledger|holds|audit)(\?|$)/;
      const held: string[] = [];
      await p.route(API, (route) => {
        held.push(route.request().url());
      });
      await p.goto(`${stack.host.url}/api/dashboard?code=${KEY}`);
      await until('the four requests are held', () => Promise.resolve(held.length >= 4 || undefined));
      await p.clock.fastForward(15_500);
      await p.waitForSelector('#banner:not([hidden])');
      expect(await p.locator('#banner').textContent()).toBe(
        'Could not refresh: releases: no answer within 15 s',
      );
      await p.unroute(API);
      await p.clock.fastForward(2_500);
      await p.waitForSelector('#banner[hidden]', { state: 'attached' });
      await p.waitForSelector('#releases-body tr[data-release] td[data-state="succeeded"]');
    } finally {
      await p.close();
    }
  });

  it('when opened with a trailing slash, then it still finds the API next to it', async () => {
    await page.goto(`${stack.host.url}/api/dashboard/?code=${KEY}`);
    await page.waitForSelector('#releases-body tr[data-release] td[data-state="succeeded"]');
    expect(problems).toEqual([]);
  });
});
