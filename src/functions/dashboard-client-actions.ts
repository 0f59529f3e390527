// Status page script: operator actions (issue 12's routes). Each button states what will happen
// in a confirmation dialog (with an optional reason, recorded in the audit) before it posts.
// Until the host has the action routes (GET /api/audit answers 404) no buttons are drawn.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_ACTIONS = `
  var RETRYABLE = ['failed', 'halted', 'replication-timed-out'];
  var PENDING = ['waiting-for-replica', 'replica-ready', 'awaiting-approval'];

  function holdOf(region) {
    return (view.holds || []).filter(function (h) { return h.region === region && !h.workload; })[0] || null;
  }
  function regionsIn(rel, states) {
    return (rel.rollouts || []).filter(function (r) { return states.indexOf(r.state) >= 0; })
      .map(function (r) { return r.region; });
  }
  function listOf(xs) { return xs.join(', '); }

  function actionButton(label, data, confirm, cls) {
    var b = el('button', cls || null, label);
    b.type = 'button';
    Object.keys(data).forEach(function (k) { b.dataset[k] = data[k]; });
    b.addEventListener('click', function () { openConfirm(confirm); });
    return b;
  }

  /** Newer release of the same repository in view: a rollback target must be older than it. */
  function hasNewer(rel) {
    return view.releases.some(function (x) { return x.repository === rel.repository && x.pushedAt > rel.pushedAt; });
  }

  function releaseActions(rel) {
    var box = el('span', 'actions');
    if (!view.actions) return box;
    var name = releaseName(rel);
    var path = 'releases/' + encodeURIComponent(rel.id) + '/';
    var data = function (a, extra) { var d = { action: a, release: rel.id }; Object.keys(extra || {}).forEach(function (k) { d[k] = extra[k]; }); return d; };
    var retry = regionsIn(rel, RETRYABLE);
    if (retry.length)
      box.appendChild(actionButton('Retry', data('retry'), { title: 'Retry ' + name,
        what: 'Starts ' + listOf(retry) + ' over with a fresh attempt budget and replication deadline. A region ' +
          'whose workloads already run a newer release is refused (409): use a rollback for that.',
        run: function (reason) { return sendJson('POST', path + 'retry', withReason({}, reason)); } }));
    var waves = {};
    (rel.rollouts || []).forEach(function (r) {
      if (r.state === 'awaiting-approval') (waves[r.wave] = waves[r.wave] || []).push(r.region);
    });
    Object.keys(waves).forEach(function (w) {
      box.appendChild(actionButton('Approve wave ' + w, data('approve', { wave: w }), { title: 'Approve wave ' + w + ' of ' + name,
        what: 'Opens wave ' + w + ' of ' + name + ': ' + listOf(waves[w]) + ' may start rolling it out. ' +
          'The approval is for this release only.',
        run: function (reason) { return sendJson('POST', path + 'approve', withReason({ wave: Number(w) }, reason)); } }));
    });
    if (rel.status === 'active') {
      var pending = regionsIn(rel, PENDING);
      if (rel.paused)
        box.appendChild(actionButton('Resume', data('resume'), { title: 'Resume ' + name,
          what: 'Regions of ' + name + ' may start new attempts again.',
          run: function (reason) { return sendJson('POST', path + 'resume', withReason({}, reason)); } }));
      else
        box.appendChild(actionButton('Pause', data('pause'), { title: 'Pause ' + name,
          what: 'No region of ' + name + ' starts a new attempt until it is resumed; running ones finish.',
          run: function (reason) { return sendJson('POST', path + 'pause', withReason({}, reason)); } }));
      if (pending.length)
        box.appendChild(actionButton('Cancel', data('cancel'), { title: 'Cancel ' + name,
          what: 'Every pending region (' + listOf(pending) + ') ends canceled; nothing new starts for this release.',
          run: function (reason) { return sendJson('POST', path + 'cancel', withReason({}, reason)); } }, 'danger'));
    }
    box.appendChild(actionButton('Reject digest', data('reject'), { title: 'Reject ' + shortDigest(rel.digest),
      what: 'Cancels every pending region of ' + name + ' and rejects digest ' + rel.digest + ' for ' + rel.repository +
        ': any later push of it is recorded but never rolled out, until the rejection is lifted.',
      run: function (reason) { return sendJson('POST', path + 'reject', withReason({}, reason)); } }, 'danger'));
    if (rel.status === 'done' && regionsIn(rel, ['succeeded']).length && hasNewer(rel))
      box.appendChild(actionButton('Roll back to this', data('rollback'), { title: 'Roll back to ' + name,
        what: 'Creates a new release of ' + name + ' (' + shortDigest(rel.digest) + '), newer than everything, ' +
          'that goes through the waves like a push: every region it targets returns to this digest.',
        run: function (reason) { return sendJson('POST', 'rollbacks', withReason({ releaseId: rel.id }, reason)); } }));
    return box;
  }

  function cellActions(rel, r) {
    if (!view.actions || RETRYABLE.indexOf(r.state) < 0) return null;
    var box = el('span', 'actions');
    box.appendChild(actionButton('Retry ' + r.region, { action: 'retry', release: rel.id, region: r.region }, {
      title: 'Retry ' + releaseName(rel) + ' in ' + r.region,
      what: 'Starts ' + r.region + ' over (' + r.state + ' now) with a fresh attempt budget and replication deadline.' +
        ' Refused (409) if its workloads already run a newer release.',
      run: function (reason) {
        return sendJson('POST', 'releases/' + encodeURIComponent(rel.id) + '/retry', withReason({ regions: [r.region] }, reason));
      } }));
    return box;
  }

  function withReason(body, reason) {
    if (reason) body.reason = reason;
    return body;
  }

  var pendingAction = null;
  function openConfirm(c) {
    pendingAction = c;
    document.getElementById('confirm-title').textContent = c.title;
    document.getElementById('confirm-what').textContent = c.what;
    document.getElementById('confirm-reason').value = '';
    document.getElementById('confirm').showModal();
  }
  async function confirmAction() {
    var c = pendingAction;
    pendingAction = null;
    document.getElementById('confirm').close();
    if (!c) return;
    var status = document.getElementById('action-status');
    status.hidden = false;
    status.className = 'action-status';
    status.textContent = c.title + ': sending\\u2026';
    try {
      await c.run(document.getElementById('confirm-reason').value.trim());
      status.textContent = c.title + ': done.';
    } catch (e) {
      status.className = 'action-status error';
      status.textContent = c.title + ' was refused: ' + (e && e.message ? e.message : String(e));
    }
    try { await redraw(); } catch (e) { /* the refresh loop reports it on its next turn */ }
  }

  function drawHolds(cols) {
    var section = document.getElementById('holds-section');
    section.hidden = view.holds === null || !view.actions;
    if (section.hidden) return;
    var items = cols.regions.map(function (region) {
      var li = el('li');
      li.dataset.region = region;
      li.appendChild(el('b', null, region));
      var hold = holdOf(region);
      if (hold) {
        li.appendChild(el('span', 'flag flag-held', 'held'));
        var who = el('span', 'sub', 'by ' + (hold.actor || '?') + (hold.reason ? ': ' + hold.reason : ''));
        if (hold.at || hold.createdAt) who.appendChild(timeEl(hold.at || hold.createdAt, ' since '));
        li.appendChild(who);
        li.appendChild(actionButton('Lift hold', { action: 'unhold', region: region, hold: hold.id }, {
          title: 'Lift the hold on ' + region,
          what: 'Rollouts may start in ' + region + ' again; the newest pending release there proceeds.',
          run: function () { return sendJson('DELETE', 'holds/' + encodeURIComponent(hold.id)); } }));
      } else {
        li.appendChild(actionButton('Hold', { action: 'hold', region: region }, { title: 'Hold ' + region,
          what: 'Nothing starts in ' + region + ' while the hold exists; its rollouts wait ("held: \\u2026"). ' +
            'Running ones finish.',
          run: function (reason) { return sendJson('POST', 'holds', withReason({ region: region }, reason)); } }));
      }
      return li;
    });
    (view.holds || []).filter(function (h) { return h.workload; }).forEach(function (h) {
      var li = el('li');
      li.dataset.region = h.region;
      li.appendChild(el('b', null, h.region + ' ' + h.workload));
      li.appendChild(el('span', 'flag flag-held', 'held'));
      li.appendChild(actionButton('Lift hold', { action: 'unhold', region: h.region, hold: h.id }, {
        title: 'Lift the hold on ' + h.workload + ' in ' + h.region, what: h.workload + ' may be changed again.',
        run: function () { return sendJson('DELETE', 'holds/' + encodeURIComponent(h.id)); } }));
      items.push(li);
    });
    document.getElementById('holds').replaceChildren.apply(document.getElementById('holds'), items);
  }

  function drawAudit() {
    var section = document.getElementById('audit-section');
    section.hidden = view.audit === null;
    if (section.hidden) return;
    var rows = view.audit.slice(0, 20).map(function (a) {
      var tr = el('tr');
      tr.dataset.action = a.action;
      var when = el('td');
      when.appendChild(timeEl(a.at));
      tr.appendChild(when);
      tr.appendChild(el('td', null, a.actor));
      tr.appendChild(el('td', null, a.action + (a.wave !== undefined ? ' wave ' + a.wave : '')));
      tr.appendChild(el('td', null, [a.releaseId ? view.names[a.releaseId] || a.releaseId : null, a.region]
        .filter(function (x) { return x; }).join(' \\u00b7 ')));
      tr.appendChild(el('td', 'reason-cell', a.reason || ''));
      tr.appendChild(el('td', null, a.outcome));
      return tr;
    });
    if (!rows.length) { var tr = el('tr'); var td = el('td', 'empty', 'No actions yet.'); td.colSpan = 6; tr.appendChild(td); rows = [tr]; }
    document.getElementById('audit-body').replaceChildren.apply(document.getElementById('audit-body'), rows);
  }

  function drawPanels(cols) {
    drawHolds(cols);
    drawAudit();
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
    document.getElementById('confirm-ok').addEventListener('click', function () { void confirmAction(); });
    document.getElementById('confirm-cancel').addEventListener('click', function () {
      pendingAction = null;
      document.getElementById('confirm').close();
    });
  }
`;
