// Status page script, part 2: the legend and the releases-by-region grid (each cell: state, flags
// for held / paused / awaiting approval, figures, the whole reason, the superseding tag).
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_GRID = `
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

  function releaseName(rel) {
    return rel.repository + (rel.tag ? ':' + rel.tag : '');
  }

  // The supersession reason names the newer release by id; operators know it by its tag.
  var SUPERSEDED_BY = /superseded by newer release (\\d{13}-[0-9a-f]{12})/;
  var lookedUp = {};
  function supersedingName(reason) {
    var m = SUPERSEDED_BY.exec(reason || '');
    if (!m) return null;
    var id = m[1];
    if (view.names[id]) return view.names[id];
    if (!lookedUp[id]) {
      lookedUp[id] = true;
      getJson('releases/' + encodeURIComponent(id)).then(function (rel) { view.names[id] = releaseName(rel); },
        function () { /* gone: the id stays in the reason */ });
    }
    return null;
  }

  function releaseHeader(rel) {
    var th = el('th');
    th.scope = 'row';
    var name = el('span', 'rel', releaseName(rel));
    th.appendChild(name);
    th.appendChild(el('span', 'chip' + (rel.status === 'active' ? ' active' : ''), rel.status));
    if (rel.paused) {
      var p = el('span', 'chip paused', 'paused');
      p.title = 'paused' + (rel.pausedBy ? ' by ' + rel.pausedBy : '') + (rel.pausedAt ? ' at ' + fmtTime(rel.pausedAt) : '');
      th.appendChild(p);
    }
    var dig = el('span', 'sub mono', shortDigest(rel.digest));
    dig.title = rel.digest;
    th.appendChild(dig);
    var sub = el('span', 'sub');
    sub.appendChild(timeEl(rel.pushedAt, 'pushed '));
    th.appendChild(sub);
    var links = el('span', 'sub');
    var a = el('a', 'open-detail', 'timeline');
    a.href = '#release=' + encodeURIComponent(rel.id);
    a.setAttribute('aria-label', 'timeline of ' + name.textContent);
    links.appendChild(a);
    links.appendChild(document.createTextNode(' \\u00b7 '));
    var j = el('a', null, 'JSON');
    j.href = apiUrl('releases/' + encodeURIComponent(rel.id));
    j.setAttribute('aria-label', 'details of ' + name.textContent + ' (JSON)');
    links.appendChild(j);
    th.appendChild(links);
    th.appendChild(releaseActions(rel));
    return th;
  }

  /** What the rollout is waiting on besides its state: an operator's hold or pause. */
  function rolloutFlags(rel, r) {
    var flags = [];
    if (/^held\\b/i.test(r.reason || '')) flags.push('held');
    if (rel.paused || /^paused by\\b/i.test(r.reason || '')) flags.push('paused');
    return flags;
  }

  function figuresOf(r) {
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
    return figs;
  }

  /** Attempts beyond the first, and re-sends of the fenced change after an ambiguous start. */
  function triesOf(r) {
    var resends = r.resends || 0;
    if ((r.attempts || 0) <= 1 && !resends) return null;
    var t = el('span', 'tries', 'attempts ' + (r.attempts || 0) + (resends ? ' \u00b7 re-sent ' + resends + '\u00d7' : ''));
    t.title = 'rollout attempts started' + (resends ? '; re-sends of the same fenced change after a start whose answer was lost' : '');
    t.dataset.attempts = String(r.attempts || 0);
    t.dataset.resends = String(resends);
    return t;
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
    var flags = rolloutFlags(rel, r);
    td.className = 'cell ' + stateClass(r.state) + flags.map(function (f) { return ' is-' + f; }).join('');
    td.dataset.state = r.state;
    if (flags.length) td.dataset.flags = flags.join(' ');
    td.title = r.reason || r.state;
    var state = el('span', 'state', r.state);
    flags.forEach(function (f) { state.appendChild(el('span', 'flag flag-' + f, f)); });
    td.appendChild(state);
    if (r.state === 'superseded') {
      var by = supersedingName(r.reason);
      if (by) td.appendChild(el('span', 'by', 'by ' + by));
    }
    var figs = figuresOf(r);
    if (figs.childNodes.length) td.appendChild(figs);
    var tries = triesOf(r);
    if (tries) td.appendChild(tries);
    if (r.reason) td.appendChild(el('span', 'reason', r.reason));
    var act = cellActions(rel, r);
    if (act) td.appendChild(act);
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
      th.dataset.region = region;
      if (cols.waves[region] !== undefined) th.appendChild(el('span', 'wave', '(wave ' + cols.waves[region] + ')'));
      var hold = holdOf(region);
      if (hold) {
        var h = el('span', 'flag flag-held', 'held');
        h.title = 'held by ' + hold.actor + (hold.reason ? ': ' + hold.reason : '');
        th.appendChild(h);
      }
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
`;
