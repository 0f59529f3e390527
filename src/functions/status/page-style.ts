// The status page's stylesheet (inline, under the response's nonce): no fonts or images from elsewhere.

export const STYLE = `
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
.chip.failed { border-color: #c50f1f; color: #fff; background: #c50f1f; }
.rollback { display: block; font-size: 12px; font-weight: 600; color: #5c2e91; margin-top: 2px; }
a { color: var(--accent); }
#releases { border-spacing: 6px 6px; }
#releases th, #releases td { border-bottom: none; }
#releases tbody th { border-top: 1px solid var(--line); }
#releases tbody tr:first-child th { border-top: none; }
td.cell { min-width: 190px; border-left: 5px solid transparent; border-radius: 6px; }
.state { font-weight: 600; display: block; }
.figs { display: flex; flex-wrap: wrap; gap: 2px 10px; font-size: 12px; margin-top: 2px; font-variant-numeric: tabular-nums; }
.figs span b { font-weight: 500; opacity: .8; margin-right: 3px; }
.tries { display: block; font-size: 12px; margin-top: 2px; font-variant-numeric: tabular-nums; }
.reason { display: block; font-size: 12px; margin-top: 3px; white-space: normal; overflow-wrap: anywhere;
  max-width: 320px; opacity: .9; }
td.none { color: var(--muted); }
.st-waiting-for-replica { background: #fff4ce; border-left-color: #b58a00; color: #3f2f00; }
.st-replica-ready { background: #e5f1fb; border-left-color: #4a90d0; color: #00315c; }
.st-rolling-out { background: #cfe4fa; border-left-color: #0f6cbd; color: #072a4d; }
.st-succeeded { background: #e3f5e1; border-left-color: #3f8f3a; color: #0d420a; }
.st-failed { background: #fde7e9; border-left-color: #c50f1f; color: #6e0a11; }
.st-reverting { background: #fde7e9; border-left-color: #c50f1f; color: #6e0a11; }
.st-rejected { background: #fde7e9; border-left-color: #750b1c; color: #4b0610; }
.st-superseded, .st-skipped { background: #efefef; border-left-color: #8a8886; color: #323130; }
.st-replication-timed-out { background: #fde4d4; border-left-color: #d24a00; color: #5e2000; }
.st-halted { background: #efe6f7; border-left-color: #8764b8; color: #3a215f; }
.st-dry-run { background: #dff3f3; border-left-color: #038387; color: #013d40; }
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
.st-awaiting-approval { background: #fff0f6; border-left-color: #b4009e; color: #4a0040; }
.st-canceled { background: #f3f2f1; border-left-color: #605e5c; color: #323130; text-decoration-color: #605e5c; }
.flag { display: inline-block; font-size: 11px; font-weight: 600; border-radius: 3px; padding: 0 5px; margin-left: 6px;
  text-transform: uppercase; letter-spacing: .3px; vertical-align: 1px; }
.flag-held { background: #5c2e91; color: #fff; }
.flag-paused { background: #8a5a00; color: #fff; }
td.is-held { outline: 2px dashed #5c2e91; outline-offset: -2px; }
td.is-paused { outline: 2px dotted #8a5a00; outline-offset: -2px; }
.chip.paused { border-color: #8a5a00; color: #5b3b00; background: #fff4ce; }
.by { display: block; font-size: 12px; font-weight: 600; margin-top: 2px; }
.ledger td.failed { background: #fde7e9; color: #6e0a11; border-left: 5px solid #c50f1f; }
.ledger-failed { display: block; margin-top: 6px; color: #a4262c; }
.ledger-failed b { color: #a4262c; }
.actions { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
button { font: inherit; font-size: 12px; border: 1px solid #8a8886; background: #fff; color: var(--fg);
  border-radius: 4px; padding: 1px 8px; cursor: pointer; }
button:hover { background: #f3f2f1; }
button.danger { border-color: #c50f1f; color: #a4262c; }
.action-status { margin: 10px 0 0; font-size: 13px; }
.action-status.error { color: #a4262c; }
dialog { border: 1px solid var(--line); border-radius: 8px; max-width: 520px; padding: 16px 18px; }
dialog h3 { margin: 0 0 8px; font-size: 15px; }
dialog textarea { width: 100%; font: inherit; margin-top: 4px; }
dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; margin: 12px 0 0; }
.holds { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 8px 18px; }
.holds li { display: flex; align-items: center; gap: 6px; }
.audit td, .audit th { font-size: 12px; }
.timeline svg, #lag-chart svg { display: block; max-width: 100%; height: auto; }
.tl-replicating { fill: #b58a00; }
.tl-wait-wave { fill: #4a90d0; }
.tl-wait-approval { fill: #b4009e; }
.tl-wait-hold { fill: #5c2e91; }
.tl-wait-backoff { fill: #d24a00; }
.tl-wait { fill: #9bbfe3; }
.tl-rolling-out { fill: #0f6cbd; }
.tl-done-succeeded { fill: #3f8f3a; }
.tl-failure { fill: #c50f1f; stroke: #fff; stroke-width: 1; }
.tl-action { fill: #1b1b1f; }
.tl-axis { stroke: #d6d8dc; stroke-width: 1; }
.tl-label { font-size: 12px; fill: #1b1b1f; }
.tl-tick { font-size: 10px; fill: #55585e; }
.lag-bar { fill: #b58a00; }
.lag-bar.slowest { fill: #d24a00; }
.tl-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 12px; padding: 0; margin: 6px 0 0;
  font-size: 12px; color: var(--muted); }
.tl-legend svg { display: inline-block; vertical-align: -2px; margin-right: 4px; }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; max-width: 1400px; }
`;
