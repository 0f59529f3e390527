// The status page as one self-contained HTML string: no CDN, fonts or other hosts. Its inline
// style and script carry the per-response nonce the CSP header allows, and the script puts API
// data into the DOM only through textContent and attributes, never as markup.
import { STYLE } from './page-style';
import { pageScript } from './page-script';

/** The page's static markup: the script fills it (no API data is ever put in as markup). */
const BODY = `<main>
  <div id="banner" class="banner" role="alert" hidden></div>
  <section id="detail-section" aria-labelledby="detail-title" hidden>
    <h2 id="detail-title">Release timeline</h2>
    <p class="sub"><a id="detail-close" href="#">close</a></p>
    <div id="detail-body"></div>
  </section>
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
    <p id="action-status" class="action-status" role="status" hidden></p>
  </section>
  <section id="lag-section" aria-labelledby="lag-title" hidden>
    <h2 id="lag-title">Replication lag per region (recent releases, oldest → newest)</h2>
    <div id="lag-chart"></div>
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
  <section id="holds-section" aria-labelledby="holds-title" hidden>
    <h2 id="holds-title">Regions and holds</h2>
    <ul id="holds" class="holds"></ul>
  </section>
  <section id="audit-section" aria-labelledby="audit-title" hidden>
    <h2 id="audit-title">Audit: recent actions</h2>
    <div class="scroll"><table id="audit" class="audit">
      <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th>
        <th scope="col">Release / region</th><th scope="col">Reason</th><th scope="col">Outcome</th></tr></thead>
      <tbody id="audit-body"></tbody>
    </table></div>
  </section>
</main>
<dialog id="confirm" aria-labelledby="confirm-title">
  <div id="confirm-form">
    <h3 id="confirm-title">Confirm</h3>
    <p id="confirm-what"></p>
    <label for="confirm-reason">Reason (optional, recorded in the audit)</label>
    <textarea id="confirm-reason" maxlength="500" rows="2"></textarea>
    <p class="buttons"><button type="button" id="confirm-cancel">Cancel</button>
      <button type="button" id="confirm-ok">Confirm</button></p>
  </div>
</dialog>
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
<svg id="svg-ns" width="0" height="0" aria-hidden="true" focusable="false"></svg>
<header>
  <h1>Rollouts: ACR geo-replicas → AKS</h1>
  <p class="meta"><span id="dot" class="dot" aria-hidden="true"></span>Updated
    <strong><time id="updated">—</time></strong> · refreshes every 2 s</p>
</header>
${BODY}<footer><b>lag</b>: push → the region’s replica holds the digest · <b>react</b>: replica ready → rollout
  start, without the waits shown beside it: <b>approval</b> (for an operator to approve the wave) and <b>held</b>
  (an operator’s hold) · <b>roll</b>: rollout start → finish. Hover a cell for the reason.</footer>
<script nonce="${nonce}">${pageScript()}</script>
</body>
</html>
`;
}
