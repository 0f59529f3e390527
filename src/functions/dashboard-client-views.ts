// Status page script: the replication-lag chart of the main view (one row of bars per region over
// the recent releases, so a slow replica stands out) and the release detail view (#release=<id>).
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_VIEWS = `
  function median(xs) {
    if (!xs.length) return null;
    var s = xs.slice().sort(function (a, b) { return a - b; });
    var m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  var LAG = { left: 150, slot: 26, row: 40, bar: 30, right: 190 };
  function drawLagChart(releases, regions) {
    var section = document.getElementById('lag-section');
    var rels = releases.slice().reverse(); // oldest -> newest, left to right
    var lags = {};
    var max = 0;
    regions.forEach(function (region) {
      lags[region] = rels.map(function (rel) {
        var r = (rel.rollouts || []).filter(function (x) { return x.region === region; })[0];
        var v = r && r.figures ? r.figures.replicationLagMs : null;
        if (typeof v === 'number') max = Math.max(max, v);
        return typeof v === 'number' ? v : null;
      });
    });
    if (!rels.length || max === 0 && !regions.some(function (g) { return lags[g].some(function (v) { return v !== null; }); })) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    var medians = {};
    var slowest = null;
    regions.forEach(function (g) {
      medians[g] = median(lags[g].filter(function (v) { return v !== null; }));
      if (medians[g] !== null && (slowest === null || medians[g] > medians[slowest])) slowest = g;
    });
    var w = LAG.left + rels.length * LAG.slot + LAG.right;
    var svg = svgEl('svg', { id: 'lag-svg', viewBox: '0 0 ' + w + ' ' + regions.length * LAG.row, width: w,
      height: regions.length * LAG.row, role: 'img', 'aria-label': 'replication lag per region, oldest release first' });
    regions.forEach(function (g, i) {
      var y0 = i * LAG.row;
      var row = svgEl('g', { 'data-region': g });
      if (g === slowest) row.setAttribute('data-slowest', 'true');
      var name = svgEl('text', { class: 'tl-label', x: 0, y: y0 + LAG.bar - 8 });
      name.textContent = g;
      row.appendChild(name);
      row.appendChild(svgEl('line', { class: 'tl-axis', x1: LAG.left, x2: LAG.left + rels.length * LAG.slot, y1: y0 + LAG.bar, y2: y0 + LAG.bar }));
      lags[g].forEach(function (v, j) {
        if (v === null) return;
        var hgt = max > 0 ? Math.max(1, (v / max) * LAG.bar) : 1;
        var rect = svgEl('rect', { class: 'lag-bar' + (g === slowest ? ' slowest' : ''), x: LAG.left + j * LAG.slot + 3,
          y: (y0 + LAG.bar - hgt).toFixed(2), width: LAG.slot - 6, height: hgt.toFixed(2),
          'data-release': rels[j].id, 'data-lag-ms': v });
        var t = svgEl('title');
        t.textContent = g + ' \\u00b7 ' + releaseName(rels[j]) + ': ' + fmtMs(v);
        rect.appendChild(t);
        row.appendChild(rect);
      });
      var summary = svgEl('text', { class: 'tl-tick', x: LAG.left + rels.length * LAG.slot + 10, y: y0 + LAG.bar - 8 });
      summary.textContent = medians[g] === null ? 'no figures yet'
        : 'median ' + fmtMs(medians[g]) + (g === slowest && regions.length > 1 ? ' \\u00b7 slowest' : '');
      row.appendChild(summary);
      svg.appendChild(row);
    });
    document.getElementById('lag-chart').replaceChildren(svg);
  }

  function detailId() {
    var m = /^#release=([0-9a-f-]+)$/.exec(location.hash);
    return m ? decodeURIComponent(m[1]) : null;
  }

  async function drawDetail() {
    var section = document.getElementById('detail-section');
    var id = detailId();
    if (!id) { section.hidden = true; return; }
    var body = document.getElementById('detail-body');
    var rel;
    try {
      rel = await getJson('releases/' + encodeURIComponent(id));
    } catch (e) {
      section.hidden = false;
      body.replaceChildren(el('p', 'banner', 'Could not load release ' + id + ': ' + e.message));
      return;
    }
    if (detailId() !== id) return;
    section.hidden = false;
    section.dataset.release = rel.id;
    document.getElementById('detail-title').textContent = 'Timeline of ' + releaseName(rel);
    var meta = el('p', 'sub');
    meta.appendChild(document.createTextNode(shortDigest(rel.digest) + ' \\u00b7 ' + rel.status + ' \\u00b7 '));
    meta.appendChild(timeEl(rel.pushedAt, 'pushed '));
    var box = el('div', 'timeline');
    box.appendChild(drawTimeline(rel, view.audit));
    body.replaceChildren(meta, box, timelineLegend());
  }
`;
