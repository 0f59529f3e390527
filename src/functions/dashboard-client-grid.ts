// Status page script, part 2: the legend and the releases-by-region grid (each row: the release,
// its chip (a finished release with a failed region says "failed"), "rollback of …" for an
// operator's rollback; each cell: state, flags for held / paused / awaiting approval, figures with
// the approval and hold waits apart from the reaction, the whole reason, the superseding tag).
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

  // Reasons and rollbacks name other releases by id; operators know them by their tag. A release
  // not on the page is looked up once; until it answers (or if it is gone) the id is shown.
  var lookedUp = {};
  function nameOfRelease(id) {
    if (view.names[id]) return view.names[id];
    if (!lookedUp[id]) {
      lookedUp[id] = true;
      getJson('releases/' + encodeURIComponent(id)).then(function (rel) { view.names[id] = releaseName(rel); },
        function () { /* gone: the id stays */ });
    }
    return null;
  }
  var SUPERSEDED_BY = /superseded by newer release (\\d{13}-[0-9a-f]{12})/;
  function supersedingName(reason) {
    var m = SUPERSEDED_BY.exec(reason || '');
    return m ? nameOfRelease(m[1]) : null;
  }

  var FAILED_STATES = ['failed', 'replication-timed-out'];
  /** The release's chip: a finished release with a failed region is "failed", not "done". */
  function statusChip(rel) {
    var failed = (rel.rollouts || []).filter(function (r) { return FAILED_STATES.indexOf(r.state) >= 0; });
    var chip;
    if (rel.status === 'done' && failed.length) {
      chip = el('span', 'chip failed', 'failed');
      chip.title = 'finished, but it failed in ' + failed.map(function (r) { return r.region + ' (' + r.state + ')'; }).join(', ');
    } else {
      chip = el('span', 'chip' + (rel.status === 'active' ? ' active' : ''), rel.status);
      if (rel.status === 'done') chip.title = 'finished: every region ended';
    }
    chip.dataset.status = chip.textContent;
    return chip;
  }

  function releaseHeader(rel) {
    var th = el('th');
    th.scope = 'row';
    var name = el('span', 'rel', releaseName(rel));
    th.appendChild(name);
    th.appendChild(statusChip(rel));
    if (rel.paused) {
      var p = el('span', 'chip paused', 'paused');
      p.title = 'paused' + (rel.pausedBy ? ' by ' + rel.pausedBy : '') + (rel.pausedAt ? ' at ' + fmtTime(rel.pausedAt) : '');
      th.appendChild(p);
    }
    if (rel.rollbackOf) {
      // An operator's rollback re-releases an older digest: say which release it goes back to.
      var back = el('span', 'rollback', 'rollback of ' + (nameOfRelease(rel.rollbackOf) || rel.rollbackOf));
      back.title = 'an operator rolled back to release ' + rel.rollbackOf;
      back.dataset.rollbackOf = rel.rollbackOf;
      th.appendChild(back);
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

  /**
   * The reaction delay split by what it waited for (from the audit trail, as the timeline does):
   * an operator's approval, a hold, and the rest (the product's own reaction, its wave included).
   * null when it cannot be told (no audit on this host, or the approval is older than what the page read).
   */
  function reactionParts(rel, r) {
    var total = (r.figures || {}).reactionDelayMs;
    var start = ms(r.startedAt);
    if (total === null || total === undefined || start === null || view.audit === null) return null;
    var pieces = waitPieces(rel, r, start - total, start, false, view.audit);
    var sum = function (kind) {
      return pieces.filter(function (p) { return p.kind === kind; }).reduce(function (n, p) { return n + p.to - p.from; }, 0);
    };
    var approval = sum('wait-approval'), held = sum('wait-hold');
    var approvedHere = (rel.approvedWaves || []).indexOf(r.wave) >= 0;
    var approvalRead = view.audit.some(function (a) { return a.action === 'approve' && a.releaseId === rel.id && a.wave === r.wave; });
    if (approvedHere && !approvalRead) return null;
    return { react: Math.max(0, total - approval - held), approval: approval, held: held };
  }

  function figuresOf(rel, r) {
    var figs = el('span', 'figs');
    var f = r.figures || {};
    var parts = reactionParts(rel, r);
    var rows = [['lag', f.replicationLagMs, 'replication lag: push to replica holding the digest']];
    if (parts) {
      if (parts.approval > 0) rows.push(['approval', parts.approval, 'waiting for an operator to approve wave ' + r.wave + ' (not part of the reaction)']);
      if (parts.held > 0) rows.push(['held', parts.held, 'held by an operator in ' + r.region + ' (not part of the reaction)']);
      rows.push(['react', parts.react, 'reaction delay: replica ready to rollout start, without the approval and hold waits']);
    } else rows.push(['react', f.reactionDelayMs, 'reaction delay: replica ready to rollout start' +
      ((rel.approvedWaves || []).indexOf(r.wave) >= 0 ? ' (includes the wait for approval: it is older than the audit entries read)' : '')]);
    rows.push(['roll', f.rolloutDurationMs, 'rollout duration']);
    rows.forEach(function (x) {
      var v = fmtMs(x[1]);
      if (v === null) return;
      var s = el('span');
      s.title = x[2];
      s.dataset.figure = x[0];
      s.dataset.ms = String(Math.round(x[1]));
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
    var figs = figuresOf(rel, r);
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
      if (rel.rollbackOf) row.dataset.rollbackOf = rel.rollbackOf;
      row.appendChild(releaseHeader(rel));
      cols.regions.forEach(function (region) { row.appendChild(rolloutCell(rel, region)); });
      return row;
    }));
  }
`;
