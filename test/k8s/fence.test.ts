// The fence as a compare-and-swap: each built patch is applied with the simulator's JSON patch
// engine (RFC 6902 plus the API server's null-test rule) to objects in each possible state.
import { describe, expect, it } from 'vitest';
import {
  PUSHED_AT_ANNOTATION,
  RELEASE_ANNOTATION,
  annotationPath,
  buildFencedPatch,
  containerIndexOf,
  escapePointerToken,
  runsDigest,
  type FenceInput,
} from '../../src/core/rollout/fence';
import { applyJsonPatch, PatchError, type Json } from '../../dev/k8s-simulator/patch';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const OLD = `r.azurecr.io/app@sha256:${'a'.repeat(64)}`;

function workload(annotations?: Record<string, string>): Json {
  return {
    metadata: { name: 'web', namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'sidecar', image: 'busybox' },
            { name: 'app', image: OLD },
          ],
        },
      },
    },
  };
}

function input(expectedRelease: string | undefined, extra: Partial<FenceInput> = {}): FenceInput {
  return {
    target: { kind: 'Deployment', namespace: 'shop', name: 'web', container: 'app' },
    containerIndex: 1,
    change: {
      loginServer: 'r.azurecr.io',
      repository: 'app',
      digest: DIGEST,
      releaseId: 'rel-B',
      pushedAt: '2026-12-01T10:00:00.000Z',
    },
    expectedRelease,
    ...extra,
  };
}

function annotations(doc: Json): unknown {
  return (doc as { metadata: { annotations?: unknown } }).metadata.annotations;
}

describe('buildFencedPatch', () => {
  it('escapes the annotation key as a JSON pointer token', () => {
    expect(escapePointerToken('acr-geo-rollout/release')).toBe('acr-geo-rollout~1release');
    expect(escapePointerToken('a~b/c')).toBe('a~0b~1c');
    expect(annotationPath(RELEASE_ANNOTATION)).toBe('/metadata/annotations/acr-geo-rollout~1release');
  });

  it('tests the expected release and the container name, then sets the image and both annotations', () => {
    expect(buildFencedPatch(input('rel-A'))).toEqual([
      { op: 'test', path: '/metadata/annotations/acr-geo-rollout~1release', value: 'rel-A' },
      { op: 'test', path: '/spec/template/spec/containers/1/name', value: 'app' },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `r.azurecr.io/app@${DIGEST}` },
      { op: 'add', path: '/metadata/annotations/acr-geo-rollout~1release', value: 'rel-B' },
      {
        op: 'add',
        path: '/metadata/annotations/acr-geo-rollout~1pushed-at',
        value: '2026-12-01T10:00:00.000Z',
      },
    ]);
  });

  it('applies when the object carries the expected release, and never touches the pod template metadata', () => {
    const out = applyJsonPatch(
      workload({ [RELEASE_ANNOTATION]: 'rel-A', other: 'x' }),
      buildFencedPatch(input('rel-A')),
    );
    expect(annotations(out)).toEqual({
      [RELEASE_ANNOTATION]: 'rel-B',
      [PUSHED_AT_ANNOTATION]: '2026-12-01T10:00:00.000Z',
      other: 'x',
    });
    expect(JSON.stringify(out)).toContain(`r.azurecr.io/app@${DIGEST}`);
    expect((out as { spec: { template: { metadata?: unknown } } }).spec.template.metadata).toBeUndefined();
  });

  it('a stale or repeated change fails as a whole: a newer release is there', () => {
    const doc = workload({ [RELEASE_ANNOTATION]: 'rel-C' });
    expect(() => applyJsonPatch(doc, buildFencedPatch(input('rel-A')))).toThrow(PatchError);
    // The same change sent twice: the second expects rel-A but finds rel-B.
    const once = applyJsonPatch(
      workload({ [RELEASE_ANNOTATION]: 'rel-A' }),
      buildFencedPatch(input('rel-A')),
    );
    expect(() => applyJsonPatch(once, buildFencedPatch(input('rel-A')))).toThrow(/test failed/);
  });

  it('"absent" is an exact test: it passes without the annotation and fails once anyone set it', () => {
    const fresh = applyJsonPatch(workload({ other: 'x' }), buildFencedPatch(input(undefined)));
    expect(annotations(fresh)).toMatchObject({ [RELEASE_ANNOTATION]: 'rel-B', other: 'x' });
    expect(() =>
      applyJsonPatch(workload({ [RELEASE_ANNOTATION]: 'rel-Z' }), buildFencedPatch(input(undefined))),
    ).toThrow(PatchError);
  });

  it('an object without any annotations map gets one, and the map test fails if one appeared', () => {
    const patch = buildFencedPatch(input(undefined, { annotationsMapPresent: false }));
    const out = applyJsonPatch(workload(), patch);
    expect(annotations(out)).toEqual({
      [RELEASE_ANNOTATION]: 'rel-B',
      [PUSHED_AT_ANNOTATION]: '2026-12-01T10:00:00.000Z',
    });
    expect(() => applyJsonPatch(workload({ 'deployment.kubernetes.io/revision': '3' }), patch)).toThrow(
      PatchError,
    );
  });

  it('a container list reordered since the read fails instead of changing the wrong container', () => {
    expect(() =>
      applyJsonPatch(
        workload({ [RELEASE_ANNOTATION]: 'rel-A' }),
        buildFencedPatch(input('rel-A', { containerIndex: 0 })),
      ),
    ).toThrow(PatchError);
  });

  it('refuses input that could not be a safe patch, naming each problem', () => {
    const bad = input('rel-A');
    bad.change.digest = 'sha256:nothex';
    bad.target.container = 'App/x';
    expect(() => buildFencedPatch(bad)).toThrow(/digest "sha256:nothex".*|container "App\/x"/);
    expect(() => buildFencedPatch({ ...input('rel-A'), containerIndex: -1 })).toThrow(/container index -1/);
    expect(() => buildFencedPatch({ ...input('rel-A'), expectedRelease: 'a"b' })).toThrow(/expected release/);
  });

  it('resolves the container index and whether a digest already runs', () => {
    const w = workload() as Parameters<typeof containerIndexOf>[0];
    expect(containerIndexOf(w, 'app')).toBe(1);
    expect(containerIndexOf(w, 'nope')).toBeUndefined();
    expect(runsDigest(w, 'app', `sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(runsDigest(w, 'app', DIGEST)).toBe(false);
  });
});
