import { describe, expect, it } from 'vitest';
import {
  describeTarget,
  parseNotifyTargets,
  statusPageUrlSchema,
  targetId,
  targetsFor,
  type NotifyTarget,
} from '../../src/app/notify/targets';
import type { NotifyEvent } from '../../src/core/notify/notify-event';

const SLACK = 'https://hooks.slack.com/services/T0000/B0000/SECRETsecretSECRET';
const TEAMS =
  'https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=SIGsecret';

const ok = (raw: string | undefined): NotifyTarget[] => {
  const r = parseNotifyTargets(raw);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.targets;
};
const problems = (raw: string): string[] => {
  const r = parseNotifyTargets(raw);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
};

describe('NOTIFY_TARGETS', () => {
  it('when unset or empty, then there are no targets', () => {
    expect(ok(undefined)).toEqual([]);
    expect(ok('')).toEqual([]);
    expect(ok('[]')).toEqual([]);
  });

  it('when valid, then targets come back with their filters', () => {
    const raw = JSON.stringify([
      { url: SLACK, format: 'slack', events: ['region.failed', 'release.halted'] },
      { url: TEAMS, format: 'teams', repositories: ['team/my-app'] },
      { url: 'http://127.0.0.1:8080/hook', format: 'json' },
      { url: 'http://localhost:9/x', format: 'json' },
    ]);
    expect(ok(raw)).toEqual([
      { url: SLACK, format: 'slack', events: ['region.failed', 'release.halted'] },
      { url: TEAMS, format: 'teams', repositories: ['team/my-app'] },
      { url: 'http://127.0.0.1:8080/hook', format: 'json' },
      { url: 'http://localhost:9/x', format: 'json' },
    ]);
  });

  it('when a URL is plain http to a remote host, then it is refused, and the message does not quote it', () => {
    const secret = 'http://hooks.example.com/services/TOPSECRET';
    const p = problems(JSON.stringify([{ url: secret, format: 'json' }]));
    expect(p).toEqual(['NOTIFY_TARGETS[0].url: plain http:// is accepted only for loopback addresses']);
    expect(p.join()).not.toContain('TOPSECRET');
  });

  it('when fields are wrong, then each problem names its place', () => {
    const p = problems(
      JSON.stringify([
        { url: 'ftp://x/y', format: 'slack' },
        { url: SLACK, format: 'discord' },
        { url: SLACK, format: 'slack', events: ['region.exploded'] },
        { url: SLACK, format: 'slack', repositories: ['Not/Valid'] },
        { url: SLACK, format: 'slack', events: [] },
        { url: SLACK, format: 'slack', extra: 1 },
        { format: 'json' },
      ]),
    );
    expect(p[0]).toBe('NOTIFY_TARGETS[0].url: must be an https:// URL');
    expect(p[1]).toMatch(/^NOTIFY_TARGETS\[1\]\.format: must be one of slack, teams, json$/);
    expect(p[2]).toMatch(/^NOTIFY_TARGETS\[2\]\.events\[0\]: must be one of region\.succeeded/);
    expect(p[3]).toBe('NOTIFY_TARGETS[3].repositories[0]: must follow the OCI repository grammar');
    expect(p[4]).toMatch(/^NOTIFY_TARGETS\[4\]\.events: must name at least one event/);
    expect(p[5]).toMatch(/^NOTIFY_TARGETS\[5\]/);
    expect(p[6]).toBe('NOTIFY_TARGETS[6].url: is required: the webhook URL');
    expect(p.join('\n')).not.toContain('SECRET');
  });

  it('when the JSON is broken next to a URL, then the message does not quote the text', () => {
    const p = problems(`[{"url": "${SLACK}", "format": "slack",}]`);
    expect(p).toEqual(['NOTIFY_TARGETS: is not valid JSON (expected an array of targets)']);
  });

  it('when it is not an array, then it says so', () => {
    expect(problems('{"url":"x"}')[0]).toMatch(/^NOTIFY_TARGETS: /);
  });
});

describe('targets', () => {
  it('describeTarget shows the format and host only', () => {
    expect(describeTarget({ url: SLACK, format: 'slack' })).toEqual({
      format: 'slack',
      host: 'hooks.slack.com',
    });
    expect(JSON.stringify(describeTarget({ url: TEAMS, format: 'teams' }))).not.toMatch(/sig|workflows/);
  });

  it('targetId is stable, short and does not reveal the URL', () => {
    const id = targetId({ url: SLACK, format: 'slack' });
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(targetId({ url: SLACK, format: 'slack' })).toBe(id);
    expect(targetId({ url: SLACK, format: 'json' })).not.toBe(id);
  });

  it('targetsFor applies the event and repository filters', () => {
    const targets: NotifyTarget[] = [
      { url: SLACK, format: 'slack', events: ['region.failed'] },
      { url: TEAMS, format: 'teams', repositories: ['other'] },
      { url: 'https://sink.example/x', format: 'json' },
    ];
    const e = (event: NotifyEvent['event'], repository: string) => ({
      event,
      release: { id: 'r', repository, tag: 't', digest: 'd' },
    });
    expect(targetsFor(targets, e('region.failed', 'team/my-app')).map((t) => t.format)).toEqual([
      'slack',
      'json',
    ]);
    expect(targetsFor(targets, e('region.succeeded', 'other')).map((t) => t.format)).toEqual([
      'teams',
      'json',
    ]);
  });

  it('STATUS_PAGE_URL follows the same https-or-loopback rule', () => {
    expect(statusPageUrlSchema.safeParse('https://x.example/api/dashboard').success).toBe(true);
    expect(statusPageUrlSchema.safeParse('http://127.0.0.1:7071/api/dashboard').success).toBe(true);
    expect(statusPageUrlSchema.safeParse('http://x.example/api/dashboard').success).toBe(false);
    expect(statusPageUrlSchema.safeParse('HTTP://x.example/api/dashboard').success).toBe(false);
  });

  it('when a target URL has an upper-case http scheme to a remote host, then it is refused like any plain http', () => {
    const p = problems(
      JSON.stringify([{ url: 'HTTP://hooks.example.com/services/SECRETsecret', format: 'json' }]),
    );
    expect(p.join('\n')).toMatch(/NOTIFY_TARGETS\[0\]\.url: plain http:\/\/ is accepted only for loopback/);
    expect(p.join('\n')).not.toContain('SECRETsecret');
    expect(ok(JSON.stringify([{ url: 'HTTP://LOCALHOST:9/x', format: 'json' }]))).toHaveLength(1);
  });
});
