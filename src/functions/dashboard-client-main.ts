// Status page script, last part: what the page knows between refreshes, the refresh loop and
// start-up. Routes a host may not have yet (issue 12's /api/holds, /api/audit) answer 404 there;
// the page then hides what depends on them instead of showing an error.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_MAIN = `
  var view = { releases: [], names: {}, holds: null, audit: null, actions: false };
  // The audit panel lists the 20 newest actions; more are read, so the grid can tell the approval
  // and hold waits of the releases it shows apart from their reaction (the API's page limit).
  var AUDIT_READ = 100;
  // Optional routes are asked once; a 404 means this host has none, so stop asking until reload.
  var missing = {};
  async function optional(path, params) {
    if (missing[path]) return null;
    var v = await getOptional(path, params);
    if (v === null) missing[path] = true;
    return v;
  }
  var banner, updated, dot;

  async function redraw() {
    var results = await Promise.all([getJson('releases', { limit: '12' }), getJson('ledger'),
      optional('holds'), optional('audit', { limit: String(AUDIT_READ) })]);
    var releases = results[0].releases || [];
    var ledger = results[1];
    view.releases = releases;
    releases.forEach(function (rel) { view.names[rel.id] = releaseName(rel); });
    var holds = results[2];
    view.holds = holds === null ? null : Array.isArray(holds) ? holds : holds.holds || [];
    view.audit = results[3] ? results[3].entries || [] : null;
    // The action routes ship with the audit route (issue 12): without it, offer no buttons.
    view.actions = view.audit !== null;
    var cols = regionColumns(releases, ledger);
    drawReleases(releases, cols);
    drawLedger(ledger);
    drawPanels(cols);
    var now = new Date();
    updated.textContent = fmtTime(now.toISOString());
    updated.dateTime = now.toISOString();
  }

  async function refresh() {
    try {
      await redraw();
      banner.hidden = true;
      dot.className = 'dot';
    } catch (err) {
      banner.textContent = 'Could not refresh: ' + (err && err.message ? err.message : String(err));
      banner.hidden = false;
      dot.className = 'dot stale';
    } finally {
      setTimeout(function () { void refresh(); }, REFRESH_MS);
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    banner = document.getElementById('banner');
    updated = document.getElementById('updated');
    dot = document.getElementById('dot');
    drawLegend();
    startPanels();
    void refresh();
  });
`;
