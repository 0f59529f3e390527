// Status page script: the release detail view's timeline (one row per region, inline SVG) and the
// main view's replication-lag chart. Bars come only from the release's own timestamps (pushedAt,
// replicaReadyAt, startedAt, finishedAt) plus the audit trail, so widths are checkable against the
// JSON: replicating (push -> replica ready), waiting (replica ready -> start, split by what it
// waited for where known) and rolling out (start -> finish); markers for failures and actions.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_TIMELINE = `
  var TERMINAL = ['succeeded', 'failed', 'superseded', 'replication-timed-out', 'halted', 'dry-run', 'canceled'];
  var RETRYING = /^(attempt \\d+ of \\d+ failed, retrying|cluster busy, retrying)/;
  function ms(iso) { var t = iso ? Date.parse(iso) : NaN; return isNaN(t) ? null : t; }

  /** What a waiting rollout's reason says it waits for (null: nothing known). */
  function waitKindOf(r) {
    if (r.state === 'awaiting-approval') return 'approval';
    var reason = r.reason || '';
    if (/^held\\b/i.test(reason)) return 'hold';
    if (RETRYING.test(reason)) return 'backoff';
    if (r.state === 'replica-ready') return 'wave';
    return null;
  }

  /** Hold intervals of a region from the audit trail (oldest first), open ones up to 'end'. */
  function holdIntervals(region, audit, end) {
    var out = [];
    var open = null;
    (audit || []).slice().reverse().forEach(function (a) {
      if (a.region !== region || a.outcome === 'rejected' || a.outcome === 'failed') return;
      if (a.action === 'hold' && open === null) open = ms(a.at);
      if (a.action === 'unhold' && open !== null) { out.push([open, ms(a.at)]); open = null; }
    });
    if (open !== null) out.push([open, end]);
    return out;
  }

  /** The waiting window [from, to] cut at hold and approval moments, each piece with its kind. */
  function waitPieces(rel, r, from, to, open, audit) {
    var holds = holdIntervals(r.region, audit, to);
    var approvedAt = null;
    (audit || []).forEach(function (a) {
      if (a.action === 'approve' && a.releaseId === rel.id && a.wave === r.wave && a.outcome !== 'rejected' &&
        a.outcome !== 'failed') approvedAt = ms(a.at);
    });
    var cuts = [from, to];
    holds.forEach(function (h) { cuts.push(h[0], h[1]); });
    if (approvedAt !== null) cuts.push(approvedAt);
    cuts = cuts.filter(function (t) { return t >= from && t <= to; }).sort(function (a, b) { return a - b; });
    var current = open ? waitKindOf(r) : null;
    var pieces = [];
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1];
      if (b <= a) continue;
      var mid = (a + b) / 2;
      var kind = holds.some(function (h) { return mid >= h[0] && mid <= h[1]; }) ? 'hold'
        : approvedAt !== null && mid < approvedAt ? 'approval'
        : current || 'wave';
      var last = pieces[pieces.length - 1];
      if (last && last.kind === 'wait-' + kind) last.to = b;
      else pieces.push({ kind: 'wait-' + kind, from: a, to: b });
    }
    return pieces;
  }

  /** Bars and markers of one region rollout, in time order; 'now' closes what is still open. */
  function timelineOf(rel, r, audit, now) {
    var done = TERMINAL.indexOf(r.state) >= 0;
    var end = done ? (ms(r.finishedAt) || ms(r.updatedAt) || now) : now;
    var push = ms(rel.pushedAt), ready = ms(r.replicaReadyAt), start = ms(r.startedAt), fin = ms(r.finishedAt);
    var bars = [], marks = [];
    if (push !== null) bars.push({ kind: 'replicating', from: push, to: ready !== null ? ready : (start !== null ? start : end) });
    if (ready !== null) {
      var waitEnd = start !== null ? start : end;
      bars.push.apply(bars, waitPieces(rel, r, Math.max(ready, push || ready), waitEnd, start === null && !done, audit));
    }
    if (start !== null) {
      var retrying = !done && RETRYING.test(r.reason || '');
      var rollEnd = fin !== null ? fin : retrying ? ms(r.updatedAt) : end;
      bars.push({ kind: 'rolling-out', from: start, to: rollEnd });
      if (retrying) {
        marks.push({ kind: 'failure', at: rollEnd, title: r.reason });
        bars.push({ kind: 'wait-backoff', from: rollEnd, to: now });
      }
    }
    if (r.state === 'failed' || r.state === 'replication-timed-out')
      marks.push({ kind: 'failure', at: fin !== null ? fin : end, title: r.state + ': ' + r.reason });
    (audit || []).forEach(function (a) {
      var mine = a.releaseId === rel.id ? (!a.region || a.region === r.region) && (a.wave === undefined || a.wave === r.wave)
        : (a.action === 'hold' || a.action === 'unhold') && a.region === r.region;
      var at = ms(a.at);
      if (mine && at !== null && push !== null && at >= push && at <= end)
        marks.push({ kind: 'action', at: at, title: a.action + ' by ' + a.actor + (a.reason ? ': ' + a.reason : '') });
    });
    bars = bars.filter(function (b) { return b.to !== null && b.from !== null && b.to > b.from; });
    return { bars: bars, marks: marks };
  }

  var TL = { left: 190, width: 640, row: 28, bar: 14, top: 22 };
  function drawTimeline(rel, audit) {
    var now = Date.now();
    var rows = (rel.rollouts || []).map(function (r) { return { r: r, tl: timelineOf(rel, r, audit, now) }; });
    var t0 = ms(rel.pushedAt) || now, t1 = t0 + 1;
    rows.forEach(function (x) {
      x.tl.bars.forEach(function (b) { t0 = Math.min(t0, b.from); t1 = Math.max(t1, b.to); });
      x.tl.marks.forEach(function (m) { t1 = Math.max(t1, m.at); });
    });
    var scale = TL.width / (t1 - t0);
    var xOf = function (t) { return TL.left + (t - t0) * scale; };
    var h = TL.top + rows.length * TL.row + 8;
    var svg = svgEl('svg', { viewBox: '0 0 ' + (TL.left + TL.width + 20) + ' ' + h, width: TL.left + TL.width + 20,
      height: h, role: 'img', 'aria-label': 'timeline of ' + releaseName(rel) + ' per region', 'data-t0': t0, 'data-t1': t1 });
    svg.appendChild(svgEl('line', { class: 'tl-axis', x1: TL.left, x2: TL.left + TL.width, y1: TL.top - 4, y2: TL.top - 4 }));
    [0, 0.5, 1].forEach(function (f) {
      var t = svgEl('text', { class: 'tl-tick', x: TL.left + f * TL.width, y: TL.top - 8, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' });
      t.textContent = f === 0 ? fmtTime(new Date(t0).toISOString()) : '+' + fmtMs((t1 - t0) * f);
      svg.appendChild(t);
    });
    rows.forEach(function (x, i) {
      var y = TL.top + i * TL.row;
      var g = svgEl('g', { 'data-region': x.r.region, 'data-state': x.r.state });
      var label = svgEl('text', { class: 'tl-label', x: 0, y: y + TL.bar });
      label.textContent = x.r.region + ' \\u00b7 ' + x.r.state;
      g.appendChild(label);
      x.tl.bars.forEach(function (b) {
        var kind = b.kind === 'rolling-out' && x.r.state === 'succeeded' ? 'done-succeeded' : b.kind;
        var rect = svgEl('rect', { class: 'bar tl-' + kind, 'data-kind': b.kind, x: xOf(b.from).toFixed(2), y: y + 2,
          width: Math.max(0.5, (b.to - b.from) * scale).toFixed(2), height: TL.bar,
          'data-from': new Date(b.from).toISOString(), 'data-to': new Date(b.to).toISOString() });
        var title = svgEl('title');
        title.textContent = b.kind + ': ' + fmtMs(b.to - b.from) + ' (' + fmtTime(new Date(b.from).toISOString()) + ' \\u2192 ' +
          fmtTime(new Date(b.to).toISOString()) + ')';
        rect.appendChild(title);
        g.appendChild(rect);
      });
      x.tl.marks.forEach(function (m) {
        var cx = xOf(m.at), cy = y + 2 + TL.bar / 2;
        var shape = m.kind === 'failure'
          ? svgEl('path', { class: 'marker tl-failure', d: 'M' + (cx - 5) + ' ' + (cy - 5) + 'l10 10m0 -10l-10 10', stroke: '#c50f1f', 'stroke-width': 3 })
          : svgEl('path', { class: 'marker tl-action', d: 'M' + cx + ' ' + (cy - 8) + 'l5 8l-5 8l-5 -8z' });
        shape.setAttribute('data-kind', m.kind);
        shape.setAttribute('data-at', new Date(m.at).toISOString());
        var t = svgEl('title');
        t.textContent = m.title + ' (' + fmtTime(new Date(m.at).toISOString()) + ')';
        shape.appendChild(t);
        g.appendChild(shape);
      });
      svg.appendChild(g);
    });
    return svg;
  }

  function timelineLegend() {
    var ul = el('ul', 'tl-legend');
    [['replicating', 'replicating (push \\u2192 replica ready)'], ['wait-wave', 'waiting for its wave'],
     ['wait-approval', 'waiting for approval'], ['wait-hold', 'held'], ['wait-backoff', 'back-off after a failure'],
     ['rolling-out', 'rolling out'], ['done-succeeded', 'rolled out (succeeded)']].forEach(function (k) {
      var li = el('li');
      var s = svgEl('svg', { width: 14, height: 10, 'aria-hidden': 'true' });
      s.appendChild(svgEl('rect', { class: 'tl-' + k[0], width: 14, height: 10 }));
      li.appendChild(s);
      li.appendChild(document.createTextNode(k[1]));
      ul.appendChild(li);
    });
    ul.appendChild(el('li', null, '\\u2716 failure \\u00b7 \\u25c6 operator action'));
    return ul;
  }
`;
