// The version policies, pure: which tags a workload takes (range, ignored tags, the default
// ignore of signature and attestation tags, non-semver tags) and which of two releases is newer
// for it (push order, semver order, a rollback).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { watchesTag } from '../../src/core/model/names';
import { DEFAULT_IGNORE_TAGS, tagPolicyOf, versionOf } from '../../src/core/model/versions';
import { makeReleaseId } from '../../src/core/intake/release-id';
import {
  NEWER_BY,
  PUSH_ORDER,
  olderByVersion,
  releaseOrder,
  type OrderedRelease,
} from '../../src/core/intake/release-order';

const HEX = 'a1'.repeat(32);
const base = { repository: 'shop/web', tags: ['*'] };
const takes = (w: Parameters<typeof watchesTag>[0], tags: string[]) =>
  Object.fromEntries(tags.map((t) => [t, watchesTag(w, 'shop/web', t)]));

describe('which tags a workload takes', () => {
  it('when versions is a caret range, then only versions in it match (a leading v accepted, no prerelease)', () => {
    expect(
      takes({ ...base, versions: '^2.3.0' }, [
        '2.3.0',
        'v2.4.1',
        '2.2.9',
        '3.0.0',
        '2.4.0-rc.1',
        'latest',
        '2.3',
      ]),
    ).toEqual({
      '2.3.0': true,
      'v2.4.1': true,
      '2.2.9': false,
      '3.0.0': false,
      '2.4.0-rc.1': false,
      latest: false,
      '2.3': false,
    });
  });

  it('when versions is a comparator range, then its bounds hold; a prerelease only where the range names its version', () => {
    expect(
      takes({ ...base, versions: '>=1.4 <2' }, ['1.4.0', '1.9.9', '1.3.9', '2.0.0', '2.0.0-rc.1']),
    ).toEqual({
      '1.4.0': true,
      '1.9.9': true,
      '1.3.9': false,
      '2.0.0': false,
      '2.0.0-rc.1': false,
    });
    expect(takes({ ...base, versions: '>=2.0.0-rc.0 <3' }, ['2.0.0-rc.1', '2.1.0-rc.1', '2.1.0'])).toEqual({
      '2.0.0-rc.1': true,
      '2.1.0-rc.1': false,
      '2.1.0': true,
    });
  });

  it('when ignoreTags is absent, then signature, attestation and SBOM tags are ignored and nothing else', () => {
    expect(DEFAULT_IGNORE_TAGS).toHaveLength(1);
    expect(
      takes(base, [
        `sha256-${HEX}.sig`,
        `sha256-${HEX}.att`,
        `sha256-${HEX}.sbom`,
        `sha256-${HEX}`,
        `sha256-${HEX.slice(1)}.sig`,
        `sha256-${HEX}.sig2`,
        'latest',
        '1.0.0',
      ]),
    ).toEqual({
      [`sha256-${HEX}.sig`]: false,
      [`sha256-${HEX}.att`]: false,
      [`sha256-${HEX}.sbom`]: false,
      [`sha256-${HEX}`]: false,
      [`sha256-${HEX.slice(1)}.sig`]: true,
      [`sha256-${HEX}.sig2`]: true,
      latest: true,
      '1.0.0': true,
    });
  });

  it('when ignoreTags is given, then its patterns replace the default and match the whole tag', () => {
    const w = { ...base, ignoreTags: ['latest', '.*-debug'] };
    expect(takes(w, ['latest', 'latest-rc', '1.0.0-debug', '1.0.0', `sha256-${HEX}.sig`])).toEqual({
      latest: false,
      'latest-rc': true,
      '1.0.0-debug': false,
      '1.0.0': true,
      [`sha256-${HEX}.sig`]: true,
    });
    expect(takes({ ...base, ignoreTags: [] }, [`sha256-${HEX}.sig`])).toEqual({
      [`sha256-${HEX}.sig`]: true,
    });
  });

  it('when a tag matches an ignore pattern, then it is ignored even inside the range', () => {
    const w = { ...base, versions: '^1.0.0', ignoreTags: ['1\\.0\\.1'] };
    expect(takes(w, ['1.0.0', '1.0.1'])).toEqual({ '1.0.0': true, '1.0.1': false });
  });

  it('when order is semver, then a tag that is no version never matches (it cannot be ordered); push order takes it', () => {
    expect(
      takes({ ...base, order: 'semver' }, ['1.2.3', 'v1.2.3', 'latest', 'main-4f2a', '1.2', '']),
    ).toEqual({
      '1.2.3': true,
      'v1.2.3': true,
      latest: false,
      'main-4f2a': false,
      '1.2': false,
      '': false,
    });
    expect(takes({ ...base, order: 'pushed' }, ['latest', '1.2'])).toEqual({ latest: true, '1.2': true });
  });

  it('when the glob or the repository does not match, then the version policy does not make it match', () => {
    const w = { repository: 'shop/web', tags: ['2.*'], versions: '>=1' };
    expect(watchesTag(w, 'shop/web', '1.5.0')).toBe(false);
    expect(watchesTag(w, 'shop/api', '2.0.0')).toBe(false);
    expect(watchesTag(w, 'shop/web', '2.0.0')).toBe(true);
  });

  it('compiles a workload once: the same policy object on every use', () => {
    const w = { ...base, versions: '^1.0.0', ignoreTags: ['x'] };
    expect(tagPolicyOf(w)).toBe(tagPolicyOf(w));
  });

  it('normalizes a version as semver does', () => {
    expect([versionOf('v2.0.0'), versionOf('2.0.0-rc.1'), versionOf('2.0'), versionOf('latest')]).toEqual([
      '2.0.0',
      '2.0.0-rc.1',
      undefined,
      undefined,
    ]);
  });
});

const rel = (tag: string, pushedSecond: number, o: Partial<OrderedRelease> = {}): OrderedRelease => {
  const pushedAt = new Date(Date.UTC(2026, 10, 27, 10, 0, pushedSecond)).toISOString();
  const id = makeReleaseId({ pushedAt, repository: 'shop/web', tag, digest: `d-${tag}`, generation: 1 });
  return { id, pushedAt, version: versionOf(tag), ...o };
};

describe('which of two releases is newer', () => {
  const v200 = rel('2.0.0', 1);
  const v143 = rel('1.4.3', 2);
  const semver = NEWER_BY.semver;
  const pushed = NEWER_BY.pushed;

  it('when the order is pushed, then the later push is newer whatever its version', () => {
    expect(pushed(v143, v200)).toBe(true);
    expect(pushed(v200, v143)).toBe(false);
  });

  it('when the order is semver, then the higher version is newer whatever the push order', () => {
    expect(semver(v200, v143)).toBe(true);
    expect(semver(v143, v200)).toBe(false);
  });

  it('when both carry the same version, then the later push is newer (a rebuilt 2.0.0)', () => {
    const rebuilt = rel('2.0.0', 5);
    expect(semver(rebuilt, v200)).toBe(true);
    expect(semver(v200, rebuilt)).toBe(false);
    // Build metadata does not order versions either.
    expect(semver(rel('2.0.0+b', 6), rel('2.0.0+a', 7))).toBe(false);
  });

  it('when either has no version, then the push order decides', () => {
    const old = { ...v200, version: undefined };
    expect(semver(v143, old)).toBe(true);
  });

  it('when the later one is a rollback, then it is newer than what came before it; what is pushed after it goes by version', () => {
    const rollback = rel('1.4.0', 3, { rollbackOf: 'older' });
    expect(semver(rollback, v200)).toBe(true);
    expect(semver(v200, rollback)).toBe(false);
    expect(semver(rel('1.3.9', 4), rollback)).toBe(false);
    expect(semver(rel('1.5.0', 4), rollback)).toBe(true);
  });

  it('is antisymmetric and irreflexive for any pair', () => {
    const tags = ['1.0.0', '1.0.1', '2.0.0', 'v2.0.0', 'latest', '2.0.0-rc.1'];
    const arb = fc.record({
      tag: fc.constantFrom(...tags),
      second: fc.nat(5),
      rollback: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, arb, (x, y) => {
        const a = rel(x.tag, x.second, x.rollback ? { rollbackOf: 'r' } : {});
        const b = rel(y.tag, y.second, y.rollback ? { rollbackOf: 'r' } : {});
        for (const newer of [semver, pushed]) {
          if (a.id === b.id) expect(newer(a, b)).toBe(false);
          else expect(newer(a, b)).toBe(!newer(b, a));
        }
      }),
    );
  });

  it('olderByVersion: only a higher version pushed before this one', () => {
    expect(olderByVersion(semver, v143, v200)).toBe(true);
    expect(olderByVersion(semver, v200, v143)).toBe(false);
    expect(olderByVersion(pushed, v143, v200)).toBe(false);
    // 1.4.3 pushed before 2.0.0: superseded in push order as well, not "older by version".
    expect(olderByVersion(semver, rel('1.4.3', 0), v200)).toBe(false);
  });

  it('releaseOrder gives each workload its configured order; one not configured is in push order', () => {
    const key = 'default/Deployment/web/web';
    const order = releaseOrder([
      { namespace: 'default', kind: 'Deployment', name: 'web', container: 'web', order: 'semver' },
      { namespace: 'default', kind: 'Deployment', name: 'api', container: 'api' },
    ]);
    expect(order(key)(v200, v143)).toBe(true);
    expect(order('default/Deployment/api/api')(v200, v143)).toBe(false);
    expect(order('gone/Deployment/x/x')(v200, v143)).toBe(false);
    expect(PUSH_ORDER(key)(v200, v143)).toBe(false);
  });
});
