import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NOTIFY_EVENTS, type NotifyEvent } from '../../src/core/notify/notify-event';
import {
  SLACK_SECTION_MAX,
  escapeMrkdwn,
  formatMessage,
  jsonMessage,
  mrkdwn,
  releaseLink,
  shortDigest,
  slackMessage,
  teamsMessage,
} from '../../src/core/notify/format';
import { cardTexts, expectSlackBody, expectTeamsBody, slackTexts } from './shapes';

const DIGEST = 'sha256:0123456789abcdef' + 'f'.repeat(48);
const PAGE = 'https://rollout.example.net/api/dashboard';
const event = (o: Partial<NotifyEvent> = {}): NotifyEvent => ({
  event: 'region.failed',
  at: '2026-11-27T10:00:00.000Z',
  release: { id: '8235000000000-0123456789ab', repository: 'team/my-app', tag: '1.4.0', digest: DIGEST },
  region: 'westeurope',
  state: 'failed',
  reason: 'failed: deployment my-app exceeded its progress deadline',
  figures: { replicationLagMs: 42_000, reactionDelayMs: 800, durationMs: 95_000 },
  dedupeKey: 'region.failed|8235000000000-0123456789ab|westeurope|a1',
  ...o,
});

describe('shared words', () => {
  it('shortens a digest to the algorithm and 12 hex', () => {
    expect(shortDigest(DIGEST)).toBe('sha256:0123456789ab');
  });
  it('links to the release on the status page, replacing any fragment', () => {
    expect(releaseLink(PAGE, '8235000000000-0123456789ab')).toBe(
      `${PAGE}#release=8235000000000-0123456789ab`,
    );
    expect(releaseLink(`${PAGE}#old`, 'x y')).toBe(`${PAGE}#release=x%20y`);
    expect(releaseLink(undefined, 'x')).toBeUndefined();
  });
});

describe('slack', () => {
  it('when a region fails, then the message names repository, tag, short digest, region, state, reason and the link', () => {
    const body = slackMessage(event(), { statusPageUrl: PAGE });
    expectSlackBody(body);
    const text = slackTexts(body);
    for (const part of [
      'team/my-app',
      '1.4.0',
      'sha256:0123456789ab',
      'westeurope',
      'failed',
      'exceeded its progress deadline',
    ])
      expect(text).toContain(part);
    expect(text).toContain(
      `<${PAGE}#release=8235000000000-0123456789ab|Open the release on the status page>`,
    );
    expect(text).toContain('replication lag 42.0 s · reaction delay 800 ms · duration 1 min 35 s');
    expect(text).not.toContain(DIGEST); // only the short form
  });

  it('when no status page is configured, then there is no link', () => {
    expect(slackTexts(slackMessage(event()))).not.toContain('status page');
  });

  it('when the reason holds mrkdwn control characters, then they are escaped (no mention, no link)', () => {
    const body = slackMessage(event({ reason: 'pull <!channel> & <https://evil.example|click> failed' }));
    const text = slackTexts(body);
    expect(text).toContain('pull &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; failed');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
  });

  it('when the reason is huge and all ampersands, then every text stays within Slack limits, no entity cut', () => {
    const body = slackMessage(event({ reason: '&'.repeat(50_000) }), { statusPageUrl: `${PAGE}?a=1&b=2` });
    expectSlackBody(body);
    const blocks = body.blocks as Array<{ text: { text: string } }>;
    const section = blocks[0]!.text.text;
    expect(section.length).toBeLessThanOrEqual(SLACK_SECTION_MAX);
    expect(section).toMatch(/(&amp;)+…/);
    expect(section).not.toMatch(/&(?!amp;|lt;|gt;)/); // every & starts an entity
    expect(section).toContain(`<${PAGE}?a=1&amp;b=2#release=`);
    expect((body.text as string).length).toBeLessThanOrEqual(1000);
  });

  it('mrkdwn() escapes within its budget', () => {
    expect(escapeMrkdwn('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(mrkdwn('<<<<', 10)).toBe('&lt;&lt;…');
  });

  it('every event name formats into a valid body', () => {
    for (const name of NOTIFY_EVENTS)
      expectSlackBody(slackMessage(event({ event: name }), { statusPageUrl: PAGE }));
  });
});

describe('teams', () => {
  it('when a region fails, then the Adaptive Card names everything and opens the release', () => {
    const card = expectTeamsBody(teamsMessage(event(), { statusPageUrl: PAGE }));
    const text = cardTexts(card);
    expect(text).toContain('team/my-app:1.4.0 failed in westeurope');
    expect(text).toContain('Digest: sha256:0123456789ab');
    expect(text).toContain('Region: westeurope');
    expect(text).toContain('State: failed');
    expect(text).toContain('Reason: failed: deployment my-app exceeded its progress deadline');
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open the release on the status page',
        url: `${PAGE}#release=8235000000000-0123456789ab`,
      },
    ]);
  });

  it('when the reason holds markdown link syntax, then it cannot become a link', () => {
    const card = expectTeamsBody(teamsMessage(event({ reason: 'see [docs](https://evil.example)' })));
    expect(cardTexts(card)).not.toContain('](https://evil.example)');
  });

  it('when no status page is configured, then the card has no action', () => {
    expect(expectTeamsBody(teamsMessage(event())).actions).toBeUndefined();
  });
});

describe('json', () => {
  it('when a region fails, then version 1 carries the documented fields exactly', () => {
    expect(jsonMessage(event(), { statusPageUrl: PAGE })).toEqual({
      version: 1,
      event: 'region.failed',
      at: '2026-11-27T10:00:00.000Z',
      release: { id: '8235000000000-0123456789ab', repository: 'team/my-app', tag: '1.4.0', digest: DIGEST },
      region: 'westeurope',
      state: 'failed',
      reason: 'failed: deployment my-app exceeded its progress deadline',
      figures: { replicationLagMs: 42_000, reactionDelayMs: 800, durationMs: 95_000 },
      link: `${PAGE}#release=8235000000000-0123456789ab`,
    });
  });

  it('when a release event has no region, then the optional fields are absent, not null', () => {
    const m = jsonMessage(event({ event: 'release.completed', region: undefined, figures: undefined }));
    expect(Object.keys(m).sort()).toEqual(['at', 'event', 'reason', 'release', 'state', 'version']);
  });

  it('formatMessage serializes the chosen format as JSON', () => {
    const m = formatMessage('json', event());
    expect(m.contentType).toBe('application/json');
    expect(JSON.parse(m.body)).toMatchObject({ version: 1, event: 'region.failed' });
    expect(JSON.parse(formatMessage('teams', event()).body).type).toBe('message');
    expect(JSON.parse(formatMessage('slack', event()).body).blocks).toBeDefined();
  });
});

describe('any text from outside', () => {
  it('when repository, tag, region and reason hold arbitrary text, then every format stays valid and inert', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 6000 }),
        (name, tag, reason) => {
          const e = event({
            release: { id: 'r-1', repository: name, tag, digest: DIGEST },
            region: name,
            reason,
          });
          const slack = slackMessage(e, { statusPageUrl: PAGE });
          expectSlackBody(slack);
          // Only our own link may open with `<`: every other `<` arrived escaped.
          const texts = slackTexts(slack).replace(/<https:\/\/rollout\.example\.net\/[^|>]*\|[^>]*>/g, '');
          expect(texts).not.toMatch(/[<>]/);
          const card = expectTeamsBody(teamsMessage(e, { statusPageUrl: PAGE }));
          expect(cardTexts(card)).not.toContain('](');
          expect(JSON.parse(formatMessage('json', e).body)).toMatchObject({ version: 1 });
        },
      ),
      { numRuns: 100 },
    );
  });
});
