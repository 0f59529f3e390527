// The status page as one self-contained HTML string: no CDN, fonts or other hosts. Its inline
// style and script carry the per-response nonce the CSP header allows, and the script puts API
// data into the DOM only through textContent and attributes, never as markup.
import { REGION_ROLLOUT_STATES } from '../core/model';

/** What each state means, for the legend (and the order it is drawn in). */
const STATE_HELP: Record<(typeof REGION_ROLLOUT_STATES)[number], string> = {
  'waiting-for-replica': 'the region’s replica does not hold the digest yet',
  'replica-ready': 'the replica holds it; waiting for its wave',
  'rolling-out': 'the cluster is rolling it out',
  succeeded: 'the workloads run this digest',
  failed: 'the rollout failed (see the reason)',
  superseded: 'a newer release took over before this one started',
  'replication-timed-out': 'the replica never held it in time',
  halted: 'an earlier wave failed, so this one did not start',
  'dry-run': 'dry run: the command was recorded, not run',
  rejected: 'the registry does not hold this push, so nothing ran',
};

const STYLE = `
:root { color-scheme: light; --fg: #1b1b1f; --muted: #55585e; --line: #d6d8dc; --bg: #f6f7f9; --card: #fff;
  --accent: #0f5fb0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font-size: 14px; line-height: 1.4; }
header { background: #14263d; color: #fff; padding: 14px 24px; display: flex; flex-wrap: wrap; align-items: baseline;
  gap: 8px 24px; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header .meta { margin: 0; color: #d3dce8; font-size: 13px; }
header .meta strong { color: #fff; font-variant-numeric: tabular-nums; font-weight: 600; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #4cc26b; margin-right: 6px;
  vertical-align: 1px; }
.dot.stale { background: #e8a317; }
main { padding: 16px 24px 28px; max-width: 1400px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px 16px;
  margin-bottom: 18px; }
h2 { font-size: 15px; margin: 0 0 10px; font-weight: 600; }
.banner { background: #fde7e9; color: #750b12; border: 1px solid #c50f1f; border-radius: 6px; padding: 8px 12px;
  margin-bottom: 12px; }
.banner[hidden] { display: none; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 0; margin: 0 0 12px;
  font-size: 12px; color: var(--muted); }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { width: 16px; height: 14px; border-radius: 3px; border: 1px solid rgba(0, 0, 0, .12); border-left: 5px solid; }
.scroll { overflow-x: auto; }
table { border-collapse: separate; border-spacing: 0; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid var(--line); }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted);
  border-bottom: 2px solid var(--line); white-space: nowrap; }
thead th .wave { text-transform: none; letter-spacing: 0; font-weight: 400; }
tbody th { font-weight: 400; min-width: 220px; }
.rel { font-weight: 600; font-size: 14px; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
.sub { display: block; color: var(--muted); font-size: 12px; }
.chip { display: inline-block; font-size: 11px; border-radius: 10px; padding: 0 7px; margin-left: 6px;
  border: 1px solid var(--line); color: var(--muted); font-weight: 500; vertical-align: 1px; }
.chip.active { border-color: #0f6cbd; color: #0a3d73; background: #eef5fc; }
a { color: var(--accent); }
#releases { border-spacing: 6px 6px; margin: -6px; width: calc(100% + 12px); }
#releases th, #releases td { border-bottom: none; }
#releases tbody th { border-top: 1px solid var(--line); }
#releases tbody tr:first-child th { border-top: none; }
td.cell { min-width: 190px; border-left: 5px solid transparent; border-radius: 6px; }
.state { font-weight: 600; display: block; }
.figs { display: flex; flex-wrap: wrap; gap: 2px 10px; font-size: 12px; margin-top: 2px; font-variant-numeric: tabular-nums; }
.figs span b { font-weight: 500; opacity: .8; margin-right: 3px; }
.reason { display: block; font-size: 12px; margin-top: 3px; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; max-width: 260px; opacity: .85; }
td.none { color: var(--muted); }
.st-waiting-for-replica { background: #fff4ce; border-left-color: #b58a00; color: #3f2f00; }
.st-replica-ready { background: #e5f1fb; border-left-color: #4a90d0; color: #00315c; }
.st-rolling-out { background: #cfe4fa; border-left-color: #0f6cbd; color: #072a4d; }
.st-succeeded { background: #e3f5e1; border-left-color: #3f8f3a; color: #0d420a; }
.st-failed { background: #fde7e9; border-left-color: #c50f1f; color: #6e0a11; }
.st-superseded { background: #efefef; border-left-color: #8a8886; color: #323130; }
.st-replication-timed-out { background: #fde4d4; border-left-color: #d24a00; color: #5e2000; }
.st-halted { background: #efe6f7; border-left-color: #8764b8; color: #3a215f; }
.st-dry-run { background: #dff3f3; border-left-color: #038387; color: #013d40; }
.st-rejected { background: #fde7e9; border-left-color: #750b1c; color: #4b0610; }
td.st-rolling-out .state::after { content: ""; display: inline-block; width: 8px; height: 8px; margin-left: 6px;
  border-radius: 50%; background: #0f6cbd; animation: pulse 1s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .25; } }
@media (prefers-reduced-motion: reduce) { td.st-rolling-out .state::after { animation: none; } }
.ledger { width: auto; min-width: 50%; }
.ledger td { min-width: 260px; }
.ledger tbody th { min-width: 160px; font-weight: 600; }
thead th.mono { text-transform: none; letter-spacing: 0; font-size: 12px; }
.ledger .tag { font-weight: 600; font-size: 14px; }
.inflight { display: inline-block; margin-top: 4px; font-size: 12px; background: #cfe4fa; color: #072a4d;
  border-radius: 4px; padding: 1px 6px; }
.empty { color: var(--muted); padding: 14px 10px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; max-width: 1400px; }
`;

// Plain ES2020, no template literals (this file is one), no innerHTML with data.
const SCRIPT = `
(function () {
  'use strict';
  var REFRESH_MS = 2000;
  var code = new URLSearchParams(location.search).get('code');
  var STATES = ${JSON.stringify(Object.keys(STATE_HELP))};
  var HELP = ${JSON.stringify(STATE_HELP)};

  // The API lives next to this page (…/api/dashboard -> …/api/releases), with or without a trailing slash.
  var base = location.pathname.replace(/dashboard\\/?$/, '');
  function apiUrl(path, params) {
    var q = new URLSearchParams(params || {});
    if (code) q.set('code', code);
    var s = q.toString();
    return base + path + (s ? '?' + s : '');
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined) return null;
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    var m = Math.floor(ms / 60000);
    return m + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function fmtTime(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour12: false });
  }
  function shortDigest(d) {
    if (!d) return '';
    var i = d.indexOf(':');
    return i >= 0 ? d.slice(i + 1, i + 13) : d.slice(0, 12);
  }
  function stateClass(s) {
    return STATES.indexOf(s) >= 0 ? 'st-' + s : '';
  }
  async function getJson(path, params) {
    var res = await fetch(apiUrl(path, params), { cache: 'no-store', credentials: 'same-origin',
      headers: { accept: 'application/json' } });
    if (!res.ok) {
      var msg = res.status + ' ' + res.statusText;
      try { var b = await res.json(); if (b && b.message) msg += ': ' + b.message; } catch (e) { /* not JSON */ }
      throw new Error(path + ': ' + msg);
    }
    return res.json();
  }

  function drawLegend() {
    var ul = document.getElementById('legend');
    STATES.forEach(function (s) {
      var li = el('li');
      li.title = HELP[s];
      li.appendChild(el('span', 'swatch ' + stateClass(s)));
      li.appendChild(el('span', null, s));
      ul.appendChild(li);
    });
  }

  function regionColumns(releases, ledger) {
    var cols = [];
    var waves = {};
    (ledger.regions || []).forEach(function (r) { cols.push(r.region); waves[r.region] = r.wave; });
    releases.forEach(function (rel) {
      (rel.rollouts || []).forEach(function (r) {
        if (cols.indexOf(r.region) < 0) { cols.push(r.region); waves[r.region] = r.wave; }
      });
    });
    return { regions: cols, waves: waves };
  }

  function releaseHeader(rel) {
    var th = el('th');
    th.scope = 'row';
    var name = el('span', 'rel', rel.repository + (rel.tag ? ':' + rel.tag : ''));
    th.appendChild(name);
    th.appendChild(el('span', 'chip' + (rel.status === 'active' ? ' active' : ''), rel.status));
    var dig = el('span', 'sub mono', shortDigest(rel.digest));
    dig.title = rel.digest;
    th.appendChild(dig);
    var sub = el('span', 'sub', 'pushed ' + fmtTime(rel.pushedAt) + ' \\u00b7 ');
    var a = el('a', null, 'details');
    a.href = apiUrl('releases/' + encodeURIComponent(rel.id));
    a.setAttribute('aria-label', 'details of ' + name.textContent + ' (JSON)');
    sub.appendChild(a);
    th.appendChild(sub);
    return th;
  }

  function rolloutCell(rel, region) {
    var r = (rel.rollouts || []).filter(function (x) { return x.region === region; })[0];
    var td = el('td', 'cell');
    td.dataset.region = region;
    td.dataset.release = rel.id;
    if (!r) {
      td.className = 'cell none';
      td.dataset.state = 'none';
      td.textContent = '\\u2014';
      td.title = 'not targeted in this region';
      return td;
    }
    td.className = 'cell ' + stateClass(r.state);
    td.dataset.state = r.state;
    td.title = r.reason || r.state;
    td.appendChild(el('span', 'state', r.state));
    var figs = el('span', 'figs');
    var f = r.figures || {};
    [['lag', f.replicationLagMs, 'replication lag: push to replica holding the digest'],
     ['react', f.reactionDelayMs, 'reaction delay: replica ready to rollout start'],
     ['roll', f.rolloutDurationMs, 'rollout duration']].forEach(function (x) {
      var v = fmtMs(x[1]);
      if (v === null) return;
      var s = el('span');
      s.title = x[2];
      s.appendChild(el('b', null, x[0]));
      s.appendChild(document.createTextNode(v));
      figs.appendChild(s);
    });
    if (figs.childNodes.length) td.appendChild(figs);
    if (r.reason) td.appendChild(el('span', 'reason', r.reason));
    return td;
  }

  function drawReleases(releases, cols) {
    var head = document.getElementById('releases-head');
    var tr = el('tr');
    var first = el('th', null, 'Release');
    first.scope = 'col';
    tr.appendChild(first);
    cols.regions.forEach(function (region) {
      var th = el('th', null, region + ' ');
      th.scope = 'col';
      if (cols.waves[region] !== undefined) th.appendChild(el('span', 'wave', '(wave ' + cols.waves[region] + ')'));
      tr.appendChild(th);
    });
    head.replaceChildren(tr);

    var body = document.getElementById('releases-body');
    if (!releases.length) {
      var row = el('tr');
      var td = el('td', 'empty', 'No releases yet: push an image to the registry.');
      td.colSpan = cols.regions.length + 1;
      row.appendChild(td);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren.apply(body, releases.map(function (rel) {
      var row = el('tr');
      row.dataset.release = rel.id;
      row.appendChild(releaseHeader(rel));
      cols.regions.forEach(function (region) { row.appendChild(rolloutCell(rel, region)); });
      return row;
    }));
  }

  function drawLedger(ledger) {
    var workloads = [];
    (ledger.regions || []).forEach(function (r) {
      r.workloads.forEach(function (w) { if (workloads.indexOf(w.workload) < 0) workloads.push(w.workload); });
    });
    var tr = el('tr');
    var first = el('th', null, 'Region');
    first.scope = 'col';
    tr.appendChild(first);
    workloads.forEach(function (w) {
      var th = el('th', 'mono', w);
      th.scope = 'col';
      tr.appendChild(th);
    });
    document.getElementById('ledger-head').replaceChildren(tr);

    var body = document.getElementById('ledger-body');
    body.replaceChildren.apply(body, (ledger.regions || []).map(function (r) {
      var row = el('tr');
      row.dataset.region = r.region;
      var th = el('th', null, r.region);
      th.scope = 'row';
      row.appendChild(th);
      workloads.forEach(function (key) {
        var w = r.workloads.filter(function (x) { return x.workload === key; })[0];
        var td = el('td');
        td.dataset.workload = key;
        if (!w) { td.className = 'none'; td.textContent = '\\u2014'; row.appendChild(td); return; }
        td.dataset.digest = w.digest || '';
        if (w.digest) {
          td.appendChild(el('span', 'tag', w.repository + ':' + (w.tag || '(digest)')));
          var d = el('span', 'sub mono', shortDigest(w.digest));
          d.title = w.digest;
          td.appendChild(d);
          td.appendChild(el('span', 'sub', 'since ' + fmtTime(w.updatedAt)));
        } else {
          td.appendChild(el('span', 'sub', 'not changed by this app yet'));
        }
        if (w.inFlight) {
          var label = '\\u2192 ' + (w.inFlight.tag ? w.inFlight.tag : w.inFlight.releaseId) + ' rolling out';
          var chip = el('span', 'inflight', label);
          chip.title = 'release ' + w.inFlight.releaseId + (w.inFlight.digest ? ' (' + w.inFlight.digest + ')' : '');
          td.appendChild(chip);
        }
        row.appendChild(td);
      });
      return row;
    }));
  }

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
})();
`;

/** The whole page; `nonce` must be the one named in the response's CSP header. */
export function dashboardPage(nonce: string): string {
  if (!/^[A-Za-z0-9+/=]{16,64}$/.test(nonce)) throw new Error('nonce must be base64');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Rollouts · ACR geo-replicas to AKS</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
  <h1>Rollouts: ACR geo-replicas → AKS</h1>
  <p class="meta"><span id="dot" class="dot" aria-hidden="true"></span>Updated
    <strong><time id="updated">—</time></strong> · refreshes every 2 s</p>
</header>
<main>
  <div id="banner" class="banner" role="alert" hidden></div>
  <section aria-labelledby="releases-title">
    <h2 id="releases-title">Recent releases by region</h2>
    <ul id="legend" class="legend" aria-label="State colours"></ul>
    <div class="scroll">
      <table id="releases">
        <caption class="sr-only">Newest releases first; one column per region: state, replication lag,
          reaction delay, rollout duration and reason.</caption>
        <thead id="releases-head"></thead>
        <tbody id="releases-body"><tr><td class="empty">Loading…</td></tr></tbody>
      </table>
    </div>
  </section>
  <section aria-labelledby="ledger-title">
    <h2 id="ledger-title">Running now (ledger)</h2>
    <div class="scroll">
      <table id="ledger" class="ledger">
        <caption class="sr-only">For each region and workload: the tag and digest running, and the release
          rolling out there now, if any.</caption>
        <thead id="ledger-head"></thead>
        <tbody id="ledger-body"></tbody>
      </table>
    </div>
  </section>
</main>
<footer><b>lag</b>: push → the region’s replica holds the digest · <b>react</b>: replica ready → rollout
  start · <b>roll</b>: rollout start → finish. Hover a cell for the reason.</footer>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
