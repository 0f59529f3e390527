// Optional for the demo (--screenshot): opens the status page in headless Chromium while the demo
// runs and saves a picture of it once the page shows a chosen moment (docs/dashboard.png).
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface DashboardCamera {
  /** Waits (bounded) until `selector` is on the page, then writes a PNG of the whole page. */
  shoot(selector: string, file: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function openDashboard(url: string): Promise<DashboardCamera> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium); cannot take a screenshot`);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page: Page = await browser.newPage({
      viewport: { width: 1280, height: 760 },
      deviceScaleFactor: 1,
    });
    await page.goto(url);
    return {
      shoot: async (selector, file, timeoutMs = 20_000) => {
        await page.waitForSelector(selector, { timeout: timeoutMs });
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        await page.screenshot({ path: file, fullPage: true });
      },
      close: () => browser.close(),
    };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
