// The three message formats a notification target can ask for, as pure functions of one event.
//   slack: incoming-webhook body, `text` (the notification fallback) plus Block Kit `blocks`
//   teams: Workflows webhook body: a `message` whose one attachment is an Adaptive Card 1.4
//   json:  the documented, versioned object {"version":1,event,at,release,region?,...,link?}
// Every text that comes from outside (repository, tag, reason: reasons quote registry and cluster
// errors) is escaped for the target's markup and clipped, so a message always stays valid.
import type { NotifyEvent, NotifyEventName, NotifyFigures, NotifyRelease } from './notify-event';

export const NOTIFY_FORMATS = ['slack', 'teams', 'json'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

export interface FormatOptions {
  /** The status page (GET /api/dashboard); messages link to the release on it when set. */
  statusPageUrl?: string | undefined;
}

export interface FormattedMessage {
  contentType: 'application/json';
  body: string;
}

/** Slack rejects a section text over 3000 characters and a field over 2000. */
export const SLACK_SECTION_MAX = 3000;
export const SLACK_FIELD_MAX = 2000;
export const SLACK_FALLBACK_MAX = 1000;
/** Free text (a reason) is clipped to this many characters before any escaping. */
export const REASON_MAX = 500;

const TITLES: Record<NotifyEventName, string> = {
  'region.succeeded': 'rolled out',
  'region.failed': 'failed',
  'region.replication-timed-out': 'replica did not get the image in time',
  'release.halted': 'halted: later waves will not roll out',
  'release.completed': 'finished in every region',
  'region.stuck': 'stuck: no progress',
  'approval.required': 'waits for approval',
  'action.performed': 'operator action',
};

export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 ? `${digest.slice(0, i + 1)}${digest.slice(i + 1, i + 13)}` : digest.slice(0, 12);
}

/** Clip to max characters (by code point, so no emoji is cut in half), marking the cut. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Control characters (other than newline) have no business in a chat message. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ');
}

/** The link to the release on the status page: the dashboard URL with `#release=<id>`. */
export function releaseLink(statusPageUrl: string | undefined, releaseId: string): string | undefined {
  if (!statusPageUrl) return undefined;
  const base = statusPageUrl.replace(/#.*$/, '');
  return `${base}#release=${encodeURIComponent(releaseId)}`;
}

function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function figuresInWords(f: NotifyFigures | undefined): string | undefined {
  if (!f) return undefined;
  const parts: string[] = [];
  if (f.replicationLagMs !== undefined) parts.push(`replication lag ${fmtMs(f.replicationLagMs)}`);
  if (f.reactionDelayMs !== undefined) parts.push(`reaction delay ${fmtMs(f.reactionDelayMs)}`);
  if (f.durationMs !== undefined) parts.push(`duration ${fmtMs(f.durationMs)}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** The words every format shows, before any markup: raw (unescaped) but cleaned and clipped. */
interface Words {
  title: string;
  facts: Array<[string, string]>;
  reason?: string | undefined;
  figures?: string | undefined;
  footer: string;
  link?: string | undefined;
}

function releaseName(r: NotifyRelease): string {
  return `${clip(clean(r.repository), 256)}:${clip(clean(r.tag), 128)}`;
}

function releaseFacts(r: NotifyRelease | undefined): Array<[string, string]> {
  if (!r) return [];
  return [
    ['Repository', clip(clean(r.repository), 256)],
    ['Tag', clip(clean(r.tag), 128)],
    ['Digest', shortDigest(clean(r.digest))],
  ];
}

/** action.performed: "alice: approve of my-app:1.4 wave 2"; others: "my-app:1.4 failed in X". */
function title(e: NotifyEvent): string {
  const where = e.region ? ` in ${e.region}` : '';
  if (e.event === 'action.performed') {
    const who = e.action ? `${clip(clean(e.action.actor), 128)}: ${e.action.name}` : TITLES[e.event];
    const what = e.release ? ` of ${releaseName(e.release)}` : '';
    const wave = e.wave !== undefined ? ` wave ${e.wave}` : '';
    return `${who}${what}${wave}${where}`;
  }
  const name = e.release ? releaseName(e.release) : 'a release';
  if (e.event === 'approval.required' && e.wave !== undefined)
    return `${name} wave ${e.wave} ${TITLES[e.event]}`;
  return `${name} ${TITLES[e.event]}${where}`;
}

function words(e: NotifyEvent, o: FormatOptions): Words {
  const facts = releaseFacts(e.release);
  if (e.region) facts.push(['Region', clip(clean(e.region), 64)]);
  if (e.wave !== undefined) facts.push(['Wave', String(e.wave)]);
  if (e.action) {
    facts.push(['Action', clip(clean(e.action.name), 32)], ['Actor', clip(clean(e.action.actor), 128)]);
    if (e.action.detail) facts.push(['Detail', clip(clean(e.action.detail), 256)]);
  }
  if (e.state) facts.push(['State', clip(clean(e.state), 64)]);
  const releaseWord = e.release ? ` · release ${clip(clean(e.release.id), 64)}` : '';
  return {
    title: title(e),
    facts,
    reason: e.reason ? clip(clean(e.reason), REASON_MAX) : undefined,
    figures: figuresInWords(e.figures),
    footer: `${e.event} · ${e.at}${releaseWord}`,
    link: e.release ? releaseLink(o.statusPageUrl, e.release.id) : undefined,
  };
}

/** Slack mrkdwn: only &, < and > are control characters (they make links and mentions). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escape for mrkdwn within max characters, never cutting an entity such as `&amp;` in two. */
export function mrkdwn(text: string, max: number): string {
  let out = '';
  for (const ch of Array.from(text)) {
    const piece = escapeMrkdwn(ch);
    if (out.length + piece.length > max - 1) return `${out}…`;
    out += piece;
  }
  return out;
}

/** A URL inside <url|label>: escaped like text, and `|` (the label separator) percent-encoded. */
function mrkdwnUrl(url: string): string {
  return escapeMrkdwn(url.replace(/\|/g, '%7C'));
}

export function slackMessage(e: NotifyEvent, o: FormatOptions = {}): Record<string, unknown> {
  const w = words(e, o);
  // Budgets per piece keep the section under SLACK_SECTION_MAX whatever the text holds.
  const lines = [`*${mrkdwn(w.title, 600)}*`];
  if (w.reason) lines.push(`Reason: ${mrkdwn(w.reason, 1200)}`);
  if (w.figures) lines.push(mrkdwn(w.figures, 200));
  const url = w.link ? mrkdwnUrl(w.link) : undefined;
  if (url && url.length <= 800) lines.push(`<${url}|Open the release on the status page>`);
  const fallback = [w.title, w.reason ? `Reason: ${w.reason}` : undefined].filter(Boolean).join(' — ');
  return {
    text: mrkdwn(fallback, SLACK_FALLBACK_MAX),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n'), SLACK_SECTION_MAX) } },
      {
        type: 'section',
        fields: w.facts.map(([k, v]) => ({
          type: 'mrkdwn',
          text: `*${k}*\n${mrkdwn(v, SLACK_FIELD_MAX - 20)}`,
        })),
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(w.footer, 500) }] },
    ],
  };
}

/**
 * Adaptive Card text is a markdown subset: `[label](url)` would turn a quoted error into a link,
 * so the `](` of link syntax is broken up. No HTML is rendered, so nothing else needs escaping.
 */
export function escapeCardText(text: string): string {
  return text.replace(/\]\(/g, '] (');
}

export function teamsMessage(e: NotifyEvent, o: FormatOptions = {}): Record<string, unknown> {
  const w = words(e, o);
  const body: Array<Record<string, unknown>> = [
    { type: 'TextBlock', text: escapeCardText(w.title), weight: 'Bolder', size: 'Medium', wrap: true },
  ];
  if (w.reason) body.push({ type: 'TextBlock', text: escapeCardText(`Reason: ${w.reason}`), wrap: true });
  body.push({
    type: 'FactSet',
    facts: w.facts.map(([title, value]) => ({ title, value: escapeCardText(value) })),
  });
  if (w.figures) body.push({ type: 'TextBlock', text: w.figures, wrap: true, spacing: 'Small' });
  body.push({ type: 'TextBlock', text: escapeCardText(w.footer), isSubtle: true, size: 'Small', wrap: true });
  const card: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    fallbackText: escapeCardText(w.title),
    body,
  };
  if (w.link)
    card.actions = [{ type: 'Action.OpenUrl', title: 'Open the release on the status page', url: w.link }];
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
    ],
  };
}

/** Version 1 of the generic JSON body (docs/notifications-and-metrics.md documents it; fields are only ever added). */
export interface JsonMessageV1 {
  version: 1;
  event: NotifyEventName;
  at: string;
  /** Absent only for an action on no release (hold, unhold). */
  release?: NotifyRelease;
  region?: string;
  /** approval.required, and actions on one wave. */
  wave?: number;
  /** action.performed: who did what. */
  action?: { name: string; actor: string; detail?: string };
  state?: string;
  reason?: string;
  figures?: NotifyFigures;
  link?: string;
}

export function jsonMessage(e: NotifyEvent, o: FormatOptions = {}): JsonMessageV1 {
  const m: JsonMessageV1 = {
    version: 1,
    event: e.event,
    at: e.at,
  };
  if (e.release)
    m.release = {
      id: e.release.id,
      repository: e.release.repository,
      tag: e.release.tag,
      digest: e.release.digest,
    };
  if (e.region !== undefined) m.region = e.region;
  if (e.wave !== undefined) m.wave = e.wave;
  if (e.action) {
    m.action = { name: e.action.name, actor: e.action.actor };
    if (e.action.detail !== undefined) m.action.detail = clip(e.action.detail, REASON_MAX);
  }
  if (e.state !== undefined) m.state = e.state;
  if (e.reason !== undefined) m.reason = clip(e.reason, REASON_MAX * 4);
  if (e.figures !== undefined) m.figures = e.figures;
  const link = e.release ? releaseLink(o.statusPageUrl, e.release.id) : undefined;
  if (link) m.link = link;
  return m;
}

export function formatMessage(format: NotifyFormat, e: NotifyEvent, o: FormatOptions = {}): FormattedMessage {
  const body =
    format === 'slack' ? slackMessage(e, o) : format === 'teams' ? teamsMessage(e, o) : jsonMessage(e, o);
  return { contentType: 'application/json', body: JSON.stringify(body) };
}
