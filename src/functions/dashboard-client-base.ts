// Status page script, part 1: URLs next to the page, DOM and formatting helpers, JSON fetches.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_BASE = `
  var REFRESH_MS = 2000;
  // The SVG namespace, read from an <svg> in the markup (the page names no URL at all).
  var SVG_NS = document.getElementById('svg-ns').namespaceURI;
  var code = new URLSearchParams(location.search).get('code');

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
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined) return null;
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    var m = Math.floor(ms / 60000);
    return m + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  // Every time shown carries its date and zone: operators compare them across regions and days.
  var TIME_FMT = new Intl.DateTimeFormat([], { year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  function fmtTime(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    var p = {};
    TIME_FMT.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second +
      ' ' + p.timeZoneName;
  }
  function timeEl(iso, prefix) {
    var t = el('time', null, (prefix || '') + fmtTime(iso));
    if (iso) { t.dateTime = iso; t.title = iso; }
    return t;
  }
  function shortDigest(d) {
    if (!d) return '';
    var i = d.indexOf(':');
    return i >= 0 ? d.slice(i + 1, i + 13) : d.slice(0, 12);
  }
  function stateClass(s) {
    return STATES.indexOf(s) >= 0 ? 'st-' + s : '';
  }
  async function errorOf(path, res) {
    var msg = res.status + ' ' + res.statusText;
    try { var b = await res.json(); if (b && b.message) msg += ': ' + b.message; } catch (e) { /* not JSON */ }
    var err = new Error(path + ': ' + msg);
    err.status = res.status;
    return err;
  }
  // A request that never answers must not freeze the refresh loop (it waits for each redraw):
  // it is abandoned after this long and the banner says so; the next refresh tries again.
  var REQUEST_TIMEOUT_MS = 15000;
  async function timedFetch(label, url, init) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, REQUEST_TIMEOUT_MS);
    init.signal = ctl.signal;
    try {
      var res = await fetch(url, init);
      if (!res.ok) throw await errorOf(label, res);
      return await res.text();
    } catch (e) {
      if (ctl.signal.aborted) throw new Error(label + ': no answer within ' + REQUEST_TIMEOUT_MS / 1000 + ' s');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
  async function getJson(path, params) {
    var text = await timedFetch(path, apiUrl(path, params), { cache: 'no-store', credentials: 'same-origin',
      headers: { accept: 'application/json' } });
    return JSON.parse(text);
  }
  /** For routes a host may not have yet (issue 12's): null on 404, so the page hides that part. */
  async function getOptional(path, params) {
    try { return await getJson(path, params); } catch (e) { if (e.status === 404) return null; throw e; }
  }
  async function sendJson(method, path, body) {
    var init = { method: method, cache: 'no-store', credentials: 'same-origin',
      headers: { accept: 'application/json' } };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    var text = await timedFetch(method + ' ' + path, apiUrl(path), init);
    return text ? JSON.parse(text) : {};
  }
`;
