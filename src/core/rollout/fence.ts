// The fence: every change the product makes to a workload is one JSON patch (RFC 6902) that
// is a compare-and-swap on the product's own annotation. The API server applies a JSON patch
// atomically: when any op fails (a `test` that does not match), the whole patch is rejected
// with 422 Invalid and nothing changes. A late or repeated older change therefore fails its
// `test` and cannot roll a workload back.
//
// Choices (see also the tests):
// - "Absent" (the product never recorded a change for this workload): RFC 6902 says `test`
//   needs an existing target, so there is no portable absence test. The Kubernetes API server
//   applies JSON patches with evanphx/json-patch, whose `test` with `"value": null` succeeds
//   when the member is missing (and when it is null, which an annotation value, a string, never
//   is). That is an exact "absent" test, so it remains a compare-and-swap: once any writer has
//   set the annotation, a patch expecting absence fails. The parent must exist for that test,
//   so when the object has no annotations map at all the fence instead tests
//   `/metadata/annotations` against null and then adds the whole map; a writer that creates the
//   map in between makes the test fail. A strict RFC server would reject the null test: it
//   fails closed (reported as "a newer change is already there"), never writes unfenced.
// - The container is addressed by index, so the patch also tests the container's name at that
//   index: a reordered container list fails the patch instead of changing the wrong container.
// - The annotations go on the object metadata only, not on spec.template.metadata: the fence
//   needs the object annotation, and a template annotation would start a new pod revision of
//   its own (e.g. a re-tag of the same digest would restart every pod for nothing).
import {
  isDigest,
  isK8sLabel,
  isK8sSubdomain,
  isLoginServer,
  isRepository,
  type WorkloadKind,
} from '../model';

export const RELEASE_ANNOTATION = 'acr-geo-rollout/release';
export const PUSHED_AT_ANNOTATION = 'acr-geo-rollout/pushed-at';

export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown };

export interface FenceTarget {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  container: string;
}

export interface FenceChange {
  loginServer: string;
  repository: string;
  digest: string;
  releaseId: string;
  /** ISO-8601 push time of the release. */
  pushedAt: string;
}

export interface FenceInput {
  target: FenceTarget;
  /** Index of the container in spec.template.spec.containers. */
  containerIndex: number;
  change: FenceChange;
  /** The release annotation the product last recorded for this workload; undefined = absent. */
  expectedRelease: string | undefined;
  /** Whether the object has a metadata.annotations map (only matters when expecting absence). */
  annotationsMapPresent?: boolean;
}

/** RFC 6901: '~' becomes '~0' and '/' becomes '~1' inside one reference token. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function annotationPath(key: string): string {
  return `/metadata/annotations/${escapePointerToken(key)}`;
}

export function fencedImage(change: Pick<FenceChange, 'loginServer' | 'repository' | 'digest'>): string {
  return `${change.loginServer}/${change.repository}@${change.digest}`;
}

// Release ids are our own (release-id.ts) but reach a patch body: bound them anyway (rule 7).
const RELEASE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,252}$/;
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Every reason the input cannot make a safe patch; empty when it can. */
export function fenceInputProblems(input: FenceInput): string[] {
  const { target, change } = input;
  const problems: string[] = [];
  if (!isK8sLabel(target.namespace)) problems.push(`namespace "${target.namespace}" is not a DNS-1123 label`);
  if (!isK8sSubdomain(target.name)) problems.push(`name "${target.name}" is not a DNS-1123 subdomain`);
  if (!isK8sLabel(target.container)) problems.push(`container "${target.container}" is not a DNS-1123 label`);
  if (!Number.isInteger(input.containerIndex) || input.containerIndex < 0)
    problems.push(`container index ${input.containerIndex} is not a non-negative integer`);
  if (!isLoginServer(change.loginServer))
    problems.push(`login server "${change.loginServer}" is not a host name`);
  if (!isRepository(change.repository)) problems.push(`repository "${change.repository}" is not valid`);
  if (!isDigest(change.digest)) problems.push(`digest "${change.digest}" is not a sha256 digest`);
  if (!RELEASE_ID_PATTERN.test(change.releaseId))
    problems.push(`release id "${change.releaseId}" is not valid`);
  if (!ISO_PATTERN.test(change.pushedAt))
    problems.push(`pushed-at "${change.pushedAt}" is not an ISO-8601 UTC time`);
  if (input.expectedRelease !== undefined && !RELEASE_ID_PATTERN.test(input.expectedRelease))
    problems.push(`expected release "${input.expectedRelease}" is not valid`);
  return problems;
}

/** The fenced patch: test(s) first, then the image replace and the annotation upserts. */
export function buildFencedPatch(input: FenceInput): JsonPatchOp[] {
  const problems = fenceInputProblems(input);
  if (problems.length > 0) throw new Error(`cannot build a fenced patch: ${problems.join('; ')}`);
  const { change, containerIndex } = input;
  const containerPath = `/spec/template/spec/containers/${containerIndex}`;
  const ops: JsonPatchOp[] = [];
  const noMap = input.expectedRelease === undefined && input.annotationsMapPresent === false;
  if (noMap) {
    ops.push({ op: 'test', path: '/metadata/annotations', value: null });
  } else {
    ops.push({ op: 'test', path: annotationPath(RELEASE_ANNOTATION), value: input.expectedRelease ?? null });
  }
  ops.push({ op: 'test', path: `${containerPath}/name`, value: input.target.container });
  ops.push({ op: 'replace', path: `${containerPath}/image`, value: fencedImage(change) });
  if (noMap) {
    const map = { [RELEASE_ANNOTATION]: change.releaseId, [PUSHED_AT_ANNOTATION]: change.pushedAt };
    ops.push({ op: 'add', path: '/metadata/annotations', value: map });
  } else {
    ops.push({ op: 'add', path: annotationPath(RELEASE_ANNOTATION), value: change.releaseId });
    ops.push({ op: 'add', path: annotationPath(PUSHED_AT_ANNOTATION), value: change.pushedAt });
  }
  return ops;
}

interface ContainerLike {
  name?: unknown;
  image?: unknown;
}

export interface WorkloadLike {
  metadata?: { annotations?: Record<string, string> | null };
  spec?: { template?: { spec?: { containers?: ContainerLike[] } } };
}

/** Index of the named container, or undefined when the pod template has no such container. */
export function containerIndexOf(obj: WorkloadLike, container: string): number | undefined {
  const containers = obj.spec?.template?.spec?.containers ?? [];
  const index = containers.findIndex((c) => c.name === container);
  return index < 0 ? undefined : index;
}

/** The image a container of the object's template runs, if any. */
export function containerImage(obj: WorkloadLike, container: string): string | undefined {
  const index = containerIndexOf(obj, container);
  if (index === undefined) return undefined;
  const image = obj.spec?.template?.spec?.containers?.[index]?.image;
  return typeof image === 'string' ? image : undefined;
}

/** True when the container's image already pins this digest (whatever registry host wrote it). */
export function runsDigest(obj: WorkloadLike, container: string, digest: string): boolean {
  const image = containerImage(obj, container);
  return image !== undefined && image.endsWith(`@${digest}`);
}

export function releaseAnnotationOf(obj: WorkloadLike): string | undefined {
  return obj.metadata?.annotations?.[RELEASE_ANNOTATION] ?? undefined;
}
