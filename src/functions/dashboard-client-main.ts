// Status page script, last part: the refresh loop and start-up.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_MAIN = `
  var banner, updated, dot;
  async function refresh() {
    try {
      var results = await Promise.all([getJson('releases', { limit: '12' }), getJson('ledger')]);
      var releases = results[0].releases || [];
      var ledger = results[1];
      var cols = regionColumns(releases, ledger);
      drawReleases(releases, cols);
      drawLedger(ledger);
      banner.hidden = true;
      dot.className = 'dot';
      var now = new Date();
      updated.textContent = now.toLocaleTimeString([], { hour12: false });
      updated.dateTime = now.toISOString();
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
    void refresh();
  });
`;
