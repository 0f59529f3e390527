// Status page script, part 2: the legend, the releases-by-region grid and the ledger table.
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
`;
