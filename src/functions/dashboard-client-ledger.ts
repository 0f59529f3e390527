// Status page script: "Running now", the ledger table. A workload whose newest attempt failed
// (ledger `status: "failed"`, issue 11) is drawn in red with the failed release and digest, next to
// the last release that succeeded there.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_LEDGER = `
  function ledgerFailure(w) {
    var f = w.failed || {};
    var box = el('span', 'ledger-failed');
    box.appendChild(el('b', null, 'failed: ' + (f.tag ? w.repository + ':' + f.tag : f.releaseId || 'newest attempt')));
    if (f.digest) {
      var d = el('span', 'sub mono', shortDigest(f.digest));
      d.title = f.digest;
      box.appendChild(d);
    }
    if (f.at) box.appendChild(timeEl(f.at, 'at '));
    if (f.reason) box.appendChild(el('span', 'reason', f.reason));
    return box;
  }

  function ledgerCell(w) {
    var td = el('td');
    td.dataset.workload = w.workload;
    td.dataset.digest = w.digest || '';
    td.dataset.status = w.status || 'ok';
    if (w.digest) {
      td.appendChild(el('span', 'tag', w.repository + ':' + (w.tag || '(digest)')));
      var d = el('span', 'sub mono', shortDigest(w.digest));
      d.title = w.digest;
      td.appendChild(d);
      var since = el('span', 'sub');
      since.appendChild(timeEl(w.updatedAt, 'since '));
      td.appendChild(since);
    } else {
      td.appendChild(el('span', 'sub', 'not changed by this app yet'));
    }
    if (w.status === 'failed') {
      td.className = 'failed';
      if (w.failed) td.dataset.failedDigest = w.failed.digest || '';
      td.appendChild(ledgerFailure(w));
    }
    if (w.inFlight) {
      var label = '\\u2192 ' + (w.inFlight.tag ? w.inFlight.tag : w.inFlight.releaseId) + ' rolling out';
      var chip = el('span', 'inflight', label);
      chip.title = 'release ' + w.inFlight.releaseId + (w.inFlight.digest ? ' (' + w.inFlight.digest + ')' : '');
      td.appendChild(chip);
    }
    return td;
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
        if (w) { row.appendChild(ledgerCell(w)); return; }
        var td = el('td', 'none', '\\u2014');
        td.dataset.workload = key;
        row.appendChild(td);
      });
      return row;
    }));
  }
`;
