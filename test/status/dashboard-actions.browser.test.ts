// Operator actions on the status page in real Chromium, against the local host and the simulators:
// approve a wave, place and lift a hold, retry a failed region: each through its
// button and confirmation dialog, each seen to take effect on the page and in the audit panel, and
// the run ends with the invariants (newest release everywhere, ledger equals clusters, one run
// command per attempt). The failed region also shows in red under "Running now" (the ledger's
// `status`/`failed`). Needs the operator routes on the host: it fails at once, saying so, if
// GET /api/audit is missing.
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../../dev/demo-screenshot';
import { startStack, type Stack } from '../../dev/stack';
import type { LedgerView } from '../../src/app/status/ledger';
import { releaseDone, releaseOf, rolloutReaches, until } from './support';

const KEY = 'test-function-key';
const IMAGE = (digest: string) => `myregistry.azurecr.io/my-app@${digest}`;
let stack: Stack;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const digests: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium"`);
  stack = await startStack({
    rolloutMs: 150,
    pullFailureDelayMs: 150,
    reconcileEverySeconds: 1,
    policy: { maxAttempts: 1, approvalWaves: [1] },
  });
  const audit = await fetch(`${stack.host.url}/api/audit`);
  if (audit.status !== 200)
    throw new Error(`GET /api/audit answered ${audit.status}: the operator routes are not on this host`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${stack.host.url}/api/dashboard?code=${KEY}`);
  await page.waitForSelector('#audit-section:not([hidden])');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Clicks `button`, checks the dialog says what will happen, gives a reason and confirms. */
async function confirmVia(button: string, says: RegExp, reason: string): Promise<void> {
  await page.locator(button).first().click();
  await page.waitForSelector('#confirm[open]');
  expect(await page.locator('#confirm-what').textContent()).toMatch(says);
  await page.fill('#confirm-reason', reason);
  await page.click('#confirm-ok');
  // A closed dialog is hidden: wait for it to be attached without [open], not visible.
  await page.waitForSelector('#confirm:not([open])', { state: 'attached' });
  await page.waitForSelector('#action-status:not([hidden])');
  // The answer comes after the action's nudge of the reconciler: wait for it, not for a time.
  await page.locator('#action-status', { hasText: /done\.$|refused/ }).waitFor({ timeout: 15_000 });
  expect(await page.locator('#action-status').textContent()).toMatch(/done\.$/);
}

const cell = (id: string, region: string, state?: string) =>
  `td[data-release="${id}"][data-region="${region}"]` + (state ? `[data-state="${state}"]` : '');

async function auditRow(action: string, reason: string): Promise<void> {
  const row = page.locator(`#audit-body tr[data-action="${action}"]`, { hasText: reason });
  await row.first().waitFor({ timeout: 15_000 });
  expect(await row.first().textContent()).toContain('local');
}

async function approveWave1(id: string, reason: string): Promise<void> {
  await page.waitForSelector(cell(id, 'westeurope', 'awaiting-approval'), { timeout: 30_000 });
  await confirmVia(
    `tr[data-release="${id}"] button[data-action="approve"][data-wave="1"]`,
    /wave 1.*westeurope/,
    reason,
  );
}

describe('operator actions on the status page', () => {
  it('when wave 1 awaits approval, then "Approve wave 1" opens it and the audit records who did it', async () => {
    const push = stack.acr.push({ repository: 'my-app', tag: '1.0.0' });
    digests.push(push.digest);
    const rel = await rolloutReaches(
      stack,
      push.digest,
      'westeurope',
      (s) => s === 'awaiting-approval',
      'awaits approval',
    );
    await page.waitForSelector(cell(rel.id, 'southeastasia', 'awaiting-approval'), { timeout: 30_000 });
    expect(await page.locator(cell(rel.id, 'eastus')).getAttribute('data-state')).toBe('succeeded');
    await approveWave1(rel.id, 'approved by the browser test');
    await releaseDone(stack, push.digest);
    for (const region of stack.regions)
      await page.waitForSelector(cell(rel.id, region, 'succeeded'), { timeout: 30_000 });
    await auditRow('approve', 'approved by the browser test');
  });

  it('when a hold is placed on a region, then its rollout waits "held" until the hold is lifted', async () => {
    await confirmVia(
      '#holds li[data-region="southeastasia"] button[data-action="hold"]',
      /Nothing starts in southeastasia/,
      'freeze sea',
    );
    await page.waitForSelector('#holds li[data-region="southeastasia"] .flag-held');
    const push = stack.acr.push({ repository: 'my-app', tag: '1.1.0' });
    digests.push(push.digest);
    const rel = await rolloutReaches(stack, push.digest, 'eastus', (s) => s === 'succeeded', 'succeeds');
    await approveWave1(rel.id, 'wave 1 of 1.1.0');
    await rolloutReaches(stack, push.digest, 'westeurope', (s) => s === 'succeeded', 'succeeds');
    await until('southeastasia held', async () => {
      const r = (await releaseOf(stack, push.digest))?.rollouts.find((x) => x.region === 'southeastasia');
      return r && /^held\b/.test(r.reason) ? r : undefined;
    });
    await page.waitForSelector(`${cell(rel.id, 'southeastasia')}[data-flags~="held"]`, { timeout: 15_000 });
    expect(Object.values(stack.aks.images('aks-southeastasia'))).toEqual([IMAGE(digests[0]!)]);

    await confirmVia(
      '#holds li[data-region="southeastasia"] button[data-action="unhold"]',
      /southeastasia/,
      '',
    );
    await releaseDone(stack, push.digest);
    await page.waitForSelector(cell(rel.id, 'southeastasia', 'succeeded'), { timeout: 30_000 });
    await auditRow('hold', 'freeze sea');
    await page.locator('#audit-body tr[data-action="unhold"]').first().waitFor();
  });

  it('when a region failed, then "Retry" on it runs it again to success and the rest follow', async () => {
    const real = stack.acr.holds;
    stack.aks.setReplicaHolds((region, repo, digest) => region !== 'eastus' && real(region, repo, digest));
    const push = stack.acr.push({ repository: 'my-app', tag: '1.2.0' });
    digests.push(push.digest);
    const rel = await rolloutReaches(stack, push.digest, 'eastus', (s) => s === 'failed', 'fails');
    stack.aks.setReplicaHolds(real);
    await page.waitForSelector(cell(rel.id, 'eastus', 'failed'), { timeout: 30_000 });
    // Running now tells the truth: eastus's newest attempt failed, drawn in red with its digest.
    const ledgerCell = page.locator('#ledger-body tr[data-region="eastus"] td[data-status="failed"]');
    await ledgerCell.waitFor({ timeout: 15_000 });
    expect(await ledgerCell.getAttribute('data-failed-digest')).toBe(push.digest);
    expect(await ledgerCell.getAttribute('data-digest')).toBe(digests[1]);
    expect(await ledgerCell.textContent()).toContain('failed: my-app:1.2.0');
    const red = await page.evaluate(
      `getComputedStyle(document.querySelector('#ledger-body tr[data-region="eastus"] td[data-status="failed"]')).backgroundColor`,
    );
    expect(red).toBe('rgb(253, 231, 233)');
    await confirmVia(
      `${cell(rel.id, 'eastus')} button[data-action="retry"][data-region="eastus"]`,
      /Starts eastus over/,
      'pull fixed',
    );
    await page.waitForSelector(
      cell(rel.id, 'eastus', 'rolling-out') + ', ' + cell(rel.id, 'eastus', 'succeeded'),
      { timeout: 30_000 },
    );
    await page.waitForSelector(cell(rel.id, 'eastus', 'succeeded'), { timeout: 30_000 });
    await auditRow('retry', 'pull fixed');

    // Wave 1 stopped behind the failure: retry the release, approve its wave 1 if asked.
    const after = await until('wave 1 settled', async () => {
      const r = await releaseOf(stack, push.digest);
      return r &&
        r.rollouts
          .filter((x) => x.wave === 1)
          .every((x) => ['halted', 'succeeded', 'awaiting-approval'].includes(x.state))
        ? r
        : undefined;
    });
    if (after.rollouts.some((x) => x.state === 'halted'))
      await confirmVia(
        `tr[data-release="${rel.id}"] th button[data-action="retry"]`,
        /westeurope|southeastasia/,
        'rest of 1.2.0',
      );
    await approveWave1(rel.id, 'wave 1 of 1.2.0');
    await releaseDone(stack, push.digest);
  });

  it('then the newest release runs everywhere, the ledger says so, and each attempt ran one command', async () => {
    const newest = digests[digests.length - 1]!;
    const ledger = await stack.api<LedgerView>('/api/ledger');
    for (const region of stack.regions) {
      expect(Object.values(stack.aks.images(`aks-${region}`)), region).toEqual([IMAGE(newest)]);
      expect(ledger.regions.find((r) => r.region === region)!.workloads.map((w) => w.digest)).toEqual([
        newest,
      ]);
      const cmds = stack.aks.runCommands().filter((c) => c.cluster === `aks-${region}`);
      for (const d of digests) {
        const n = cmds.filter((c) => c.script.includes(d)).length;
        // eastus ran 1.2.0 twice: the failed attempt and the operator's retry; nothing else twice.
        expect(n, `${region} ${d.slice(7, 19)}`).toBe(region === 'eastus' && d === newest ? 2 : 1);
      }
    }
    expect(problems).toEqual([]);
  });
});
