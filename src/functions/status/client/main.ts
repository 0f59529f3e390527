// The page's entry: the refresh loop and start-up. Routes a host may not have (/api/holds,
// /api/audit) answer 404 there; the page then hides what depends on them instead of an error.
import type { AuditAnswer, HoldsAnswer, LedgerAnswer, ReleasesAnswer } from './api-types';
import { startActions } from './actions';
import { getJson, getOptional } from './api';
import { byId } from './dom';
import { fmtTime, messageOf, releaseName } from './format';
import { drawLegend, drawReleases, regionColumns } from './grid';
import { drawLedger } from './ledger';
import { drawPanels, startPanels } from './panels';
import { view } from './view';

const REFRESH_MS = 2000;
// The audit panel lists the 20 newest actions; more are read, so the grid can tell the approval
// and hold waits of the releases it shows apart from their reaction (the API's page limit).
const AUDIT_READ = 100;

// Optional routes are asked once; a 404 means this host has none, so stop asking until reload.
const missing = new Set<string>();
async function optional<T>(path: string, params?: Record<string, string>): Promise<T | null> {
  if (missing.has(path)) return null;
  const v = await getOptional<T>(path, params);
  if (v === null) missing.add(path);
  return v;
}

async function redraw(): Promise<void> {
  const [page, ledger, holds, audit] = await Promise.all([
    getJson<ReleasesAnswer>('releases', { limit: '12' }),
    getJson<LedgerAnswer>('ledger'),
    optional<HoldsAnswer>('holds'),
    optional<AuditAnswer>('audit', { limit: String(AUDIT_READ) }),
  ]);
  const releases = page.releases;
  view.releases = releases;
  for (const rel of releases) view.names[rel.id] = releaseName(rel);
  view.holds = holds === null ? null : Array.isArray(holds) ? holds : (holds.holds ?? []);
  view.audit = audit ? (audit.entries ?? []) : null;
  // The action routes ship with the audit route: without it, offer no buttons.
  view.actions = view.audit !== null;
  const cols = regionColumns(releases, ledger);
  drawReleases(releases, cols);
  drawLedger(ledger);
  drawPanels(cols);
  const now = new Date();
  const updated = byId('updated', HTMLTimeElement);
  updated.textContent = fmtTime(now.toISOString());
  updated.dateTime = now.toISOString();
}

async function refresh(): Promise<void> {
  const banner = byId('banner');
  const dot = byId('dot');
  try {
    await redraw();
    banner.hidden = true;
    dot.className = 'dot';
  } catch (err) {
    banner.textContent = 'Could not refresh: ' + messageOf(err);
    banner.hidden = false;
    dot.className = 'dot stale';
  } finally {
    setTimeout(() => void refresh(), REFRESH_MS);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  drawLegend();
  startPanels();
  startActions(redraw);
  void refresh();
});
