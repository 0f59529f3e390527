// Status page script, part 1: URLs next to the page, DOM and formatting helpers, JSON fetches.
// Plain ES2020 inside a template string (no template literals, no innerHTML with data); the
// pieces share one function scope, joined by dashboard-script.ts.
export const CLIENT_BASE = `
  var REFRESH_MS = 2000;
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
`;
