import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAcrEvent } from '../../src/core/intake/acr-event';
import { decodeKey, encodeKey } from '../../src/core/model/keys';
import {
  isDigest,
  isRepository,
  isTag,
  parseAksResourceId,
  tagMatches,
  watchesTag,
} from '../../src/core/model/names';
import { isNewerRelease, makeReleaseId } from '../../src/core/intake/release-id';

describe('table key encoding', () => {
  it('when a repository is nested (team/api/v2), then its key has no forbidden characters and decodes back', () => {
    for (const s of ['team/api', 'a/b/c.d_e-f', 'my-app', 'x#y?z\\w', 'ü/ß', '!']) {
      const k = encodeKey(s);
      // eslint-disable-next-line no-control-regex -- control characters are exactly what keys must not hold
      expect(k).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
      expect(decodeKey(k)).toBe(s);
    }
  });
  it('is lossless for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => decodeKey(encodeKey(s)) === s),
      { numRuns: 2000 },
    );
  });
});

describe('names', () => {
  it('accepts OCI repositories and tags, rejects anything shell- or path-like', () => {
    expect(isRepository('team/api')).toBe(true);
    expect(isRepository('a.b__c-d/e')).toBe(true);
    for (const bad of [
      'a;rm -rf /',
      '$(id)',
      '`id`',
      'a\nb',
      '..',
      '../etc',
      'My-App',
      'a//b',
      '/a',
      'a/',
      'my-app:1.0',
      'mу-app',
    ])
      expect(isRepository(bad), bad).toBe(false);
    expect(isTag('1.4.0')).toBe(true);
    expect(isTag('v1_rc-2.x')).toBe(true);
    for (const bad of ['', '-x', '.x', 'a b', 'a;b', '$(id)', 'x'.repeat(129)])
      expect(isTag(bad), bad).toBe(false);
    expect(isDigest('sha256:' + 'a'.repeat(64))).toBe(true);
    for (const bad of [
      'sha256:' + 'A'.repeat(64),
      'sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx',
      'sha512:' + 'a'.repeat(128),
      'sha256:91ef6',
    ])
      expect(isDigest(bad), bad).toBe(false);
  });
  it('parses AKS resource ids and rejects others', () => {
    expect(
      parseAksResourceId(
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/aks1',
      ),
    ).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'rg1',
      name: 'aks1',
    });
    expect(
      parseAksResourceId(
        '/subscriptions/x/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm',
      ),
    ).toBeUndefined();
  });
  it('matches tag globs literally except * and ?', () => {
    expect(tagMatches('*', '1.0.0')).toBe(true);
    expect(tagMatches('v*', 'v2')).toBe(true);
    expect(tagMatches('v*', '2')).toBe(false);
    expect(tagMatches('1.?.0', '1.4.0')).toBe(true);
    expect(tagMatches('1.4.0', '1x4x0')).toBe(false);
  });
  it('a workload watches a tag of its own repository that one of its globs matches', () => {
    const w = { repository: 'shop/web', tags: ['v*', 'stable'] };
    expect(watchesTag(w, 'shop/web', 'v1.2')).toBe(true);
    expect(watchesTag(w, 'shop/web', 'stable')).toBe(true);
    expect(watchesTag(w, 'shop/web', 'latest')).toBe(false);
    expect(watchesTag(w, 'shop/api', 'v1.2')).toBe(false);
    expect(watchesTag({ repository: 'shop/web', tags: [] }, 'shop/web', 'v1')).toBe(false);
  });
});

describe('release ids', () => {
  it('sort newest first and are deterministic', () => {
    const a = makeReleaseId({
      pushedAt: '2026-01-01T00:00:00Z',
      repository: 'r',
      tag: 't',
      digest: 'd',
      generation: 1,
    });
    const b = makeReleaseId({
      pushedAt: '2026-01-02T00:00:00Z',
      repository: 'r',
      tag: 't',
      digest: 'd',
      generation: 2,
    });
    expect(b < a).toBe(true);
    expect(
      makeReleaseId({
        pushedAt: '2026-01-01T00:00:00Z',
        repository: 'r',
        tag: 't',
        digest: 'd',
        generation: 1,
      }),
    ).toBe(a);
    expect(
      isNewerRelease(
        { id: b, pushedAt: '2026-01-02T00:00:00Z' },
        { id: a, pushedAt: '2026-01-01T00:00:00Z' },
      ),
    ).toBe(true);
  });
});

describe('ACR event schemas', () => {
  it('when ACR sends 9 fractional digits in the timestamp, then it is accepted', () => {
    const r = parseAcrEvent({
      id: 'cb8c3971-9adc-488b-bdd8-43cbb4974ff5',
      timestamp: '2017-11-17T16:52:01.343145347Z',
      action: 'push',
      target: {
        digest: 'sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d',
        repository: 'hello-world',
        tag: 'v1',
        size: 524,
      },
    });
    expect(r.ok).toBe(true);
  });
  it('when a field has the wrong type, then the problem names its path', () => {
    const r = parseAcrEvent({
      id: 'x',
      timestamp: '2017-11-17T16:52:01Z',
      action: 'push',
      target: { digest: 5, repository: 'a', size: '1' },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.join('\n')).toMatch(/target\.digest/);
      expect(r.problems.join('\n')).toMatch(/target\.size/);
    }
  });
  it('when the timestamp is not a calendar date (Feb 30), then it is rejected', () => {
    const r = parseAcrEvent({
      id: 'x1',
      timestamp: '2017-02-30T16:52:01Z',
      action: 'push',
      target: { digest: 'sha256:' + 'a'.repeat(64), repository: 'a', tag: 't' },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join()).toMatch(/timestamp: must be a valid date/);
  });
});
