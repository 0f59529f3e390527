// Status page script: operator actions (issue 12). Until the action routes exist on the host
// (GET /api/audit answers 404), no buttons are drawn.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_ACTIONS = `
  function holdOf(region) {
    return (view.holds || []).filter(function (h) { return h.region === region && !h.workload; })[0] || null;
  }
  function releaseActions(rel) {
    return el('span', 'actions');
  }
  function cellActions(rel, r) {
    return null;
  }
  function drawPanels(cols) {
    document.getElementById('audit-section').hidden = view.audit === null;
    drawLagChart(view.releases, cols.regions);
    void drawDetail();
  }
  function startPanels() {
    window.addEventListener('hashchange', function () { void drawDetail(); });
    document.getElementById('detail-close').addEventListener('click', function (e) {
      e.preventDefault();
      history.replaceState(null, '', location.pathname + location.search);
      void drawDetail();
    });
  }
`;
