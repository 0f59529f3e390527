// The one shell script a release runs on one cluster (docs/rules.md rule 7). It is built from a typed
// description (argv arrays), every request value validated against its grammar and
// single-quoted, so nothing untrusted can become shell syntax. The simulator and the dry runs
// use the same builder and tokenizer (./script-syntax.ts), so what is tested is what is sent.
import { buildFencedPatch } from '../../core/rollout';
import type { RolloutRequest, RolloutWorkload } from '../../core/model';
import { RELEASE_ID_PATTERN } from '../../core/intake';
import {
  WORKLOAD_KINDS,
  isDigest,
  isK8sLabel,
  isK8sSubdomain,
  isLoginServer,
  isRepository,
  isTag,
  type WorkloadKind,
} from '../../core/model';
import { errorMessage } from '../../core/platform';
import { OR, SCRIPT_PRELUDE, shellQuote } from './script-syntax';

export class InvalidRolloutInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRolloutInput';
  }
}

export const MAX_ROLLOUT_TIMEOUT_SECONDS = 86_400;

/** kubectl resource names for the workload kinds (lower case, as kubectl prints them). */
export const KUBECTL_RESOURCE: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
};

/** A word is either a fixed literal of ours or a validated request value (always quoted). */
type Word = { literal: string } | { value: string };
const lit = (literal: string): Word => ({ literal });
const val = (value: string): Word => ({ value });

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new InvalidRolloutInput(`invalid ${what}: ${JSON.stringify(value)}`);
}

/** The image reference every workload is set to: by digest, on the global login server. */
export function rolloutImage(request: RolloutRequest): string {
  const { loginServer, repository, digest } = request.image;
  return `${loginServer}/${repository}@${digest}`;
}

export function changeCause(request: RolloutRequest): string {
  const { repository, tag, digest } = request.image;
  const ref = tag === '' ? repository : `${repository}:${tag}`;
  return `rollout of ${ref} @ ${digest} by release ${request.releaseId}`;
}

function validate(request: RolloutRequest): void {
  const { image } = request;
  check(
    typeof request.releaseId === 'string' && RELEASE_ID_PATTERN.test(request.releaseId),
    'release id',
    request.releaseId,
  );
  check(
    typeof image.loginServer === 'string' && isLoginServer(image.loginServer),
    'login server',
    image.loginServer,
  );
  check(
    typeof image.repository === 'string' && isRepository(image.repository),
    'repository',
    image.repository,
  );
  check(typeof image.digest === 'string' && isDigest(image.digest), 'digest', image.digest);
  // A push by digest only carries an empty tag.
  check(typeof image.tag === 'string' && (image.tag === '' || isTag(image.tag)), 'tag', image.tag);
  check(
    Number.isInteger(request.timeoutSeconds) &&
      request.timeoutSeconds >= 1 &&
      request.timeoutSeconds <= MAX_ROLLOUT_TIMEOUT_SECONDS,
    'rollout timeout (whole seconds, 1..86400)',
    request.timeoutSeconds,
  );
  check(
    Array.isArray(request.workloads) && request.workloads.length > 0,
    'workload list (empty)',
    request.workloads,
  );
  check(
    request.pushedAt === undefined || typeof request.pushedAt === 'string',
    'pushed-at',
    request.pushedAt,
  );
  for (const w of request.workloads) {
    check(
      w.expectedRelease === undefined ||
        (typeof w.expectedRelease === 'string' && RELEASE_ID_PATTERN.test(w.expectedRelease)),
      'expected release',
      w.expectedRelease,
    );
    check(
      w.containerIndex === undefined ||
        (Number.isInteger(w.containerIndex) && w.containerIndex >= 0 && w.containerIndex < 1000),
      'container index',
      w.containerIndex,
    );
    check(typeof w.namespace === 'string' && isK8sLabel(w.namespace), 'namespace', w.namespace);
    check((WORKLOAD_KINDS as readonly string[]).includes(w.kind), 'workload kind', w.kind);
    check(typeof w.name === 'string' && isK8sSubdomain(w.name), 'workload name', w.name);
    check(typeof w.container === 'string' && isK8sLabel(w.container), 'container name', w.container);
    // A release carries one repository; never put its digest into another repository's workload.
    check(w.repository === image.repository, `repository of workload ${w.namespace}/${w.name}`, w.repository);
  }
}

/** The pre-read each change starts with: what the fence will test, printed into the logs. */
export const FENCE_READ_PREFIX = 'fence-read';

function patchArg(
  request: RolloutRequest,
  w: RolloutWorkload,
  expected: string | undefined,
  mapPresent = true,
) {
  const patch = buildFencedPatch({
    target: { kind: w.kind, namespace: w.namespace, name: w.name, container: w.container },
    containerIndex: w.containerIndex ?? 0,
    change: {
      loginServer: request.image.loginServer,
      repository: request.image.repository,
      digest: request.image.digest,
      releaseId: request.releaseId,
      pushedAt: request.pushedAt ?? EPOCH,
    },
    expectedRelease: expected,
    annotationsMapPresent: mapPresent,
  });
  return JSON.stringify(patch);
}

function fencedPatchOrInvalid(...args: Parameters<typeof patchArg>): string {
  try {
    return patchArg(...args);
  } catch (e) {
    throw new InvalidRolloutInput(errorMessage(e));
  }
}

const EPOCH = '1970-01-01T00:00:00Z';

/**
 * The fenced change of one workload, as alternatives joined by `||` (docs/rules.md "The rules it
 * keeps"): the compare-and-swap from the annotation the ledger last recorded (or its absence,
 * with and without an annotations map), else the same change re-applied over our own annotation
 * (a re-sent or duplicated start: idempotent, no new revision). When every alternative fails
 * its `test`, kubectl exits non-zero with the API server's 422 and nothing changed: a newer
 * change is already there.
 */
function fencedChange(request: RolloutRequest, w: RolloutWorkload): Word[] {
  const head = [
    lit('kubectl'),
    lit('patch'),
    lit('-n'),
    val(w.namespace),
    val(`${KUBECTL_RESOURCE[w.kind]}/${w.name}`),
    lit('--type'),
    lit('json'),
    lit('-p'),
  ];
  const expected = w.expectedRelease;
  const patches =
    expected === undefined
      ? [
          fencedPatchOrInvalid(request, w, undefined, true),
          fencedPatchOrInvalid(request, w, undefined, false),
        ]
      : [fencedPatchOrInvalid(request, w, expected)];
  if (expected !== request.releaseId) patches.push(fencedPatchOrInvalid(request, w, request.releaseId));
  return patches.flatMap((p, i) => [...(i > 0 ? [lit(OR)] : []), ...head, val(p)]);
}

function fenceRead(w: RolloutWorkload): Word[] {
  const target = `${KUBECTL_RESOURCE[w.kind]}/${w.name}`;
  const template =
    `jsonpath=${FENCE_READ_PREFIX} ${w.namespace}/${target} release={.metadata.annotations.acr-geo-rollout/release}` +
    ' containers={.spec.template.spec.containers[*].name}{"\\n"}';
  return [lit('kubectl'), lit('get'), lit('-n'), val(w.namespace), val(target), lit('-o'), val(template)];
}

function typedSteps(request: RolloutRequest): Word[][] {
  validate(request);
  const cause = changeCause(request);
  const steps: Word[][] = [];
  // Change every workload first, then wait: the rollouts progress in parallel, so the whole
  // script takes about one rollout time rather than one per workload.
  for (const w of request.workloads) {
    const target = `${KUBECTL_RESOURCE[w.kind]}/${w.name}`;
    steps.push(fenceRead(w));
    steps.push(fencedChange(request, w));
    steps.push([
      lit('kubectl'),
      lit('annotate'),
      lit('--overwrite'),
      lit('-n'),
      val(w.namespace),
      val(target),
      val(`kubernetes.io/change-cause=${cause}`),
    ]);
  }
  const waited = new Set<string>();
  for (const w of request.workloads) {
    const target = `${KUBECTL_RESOURCE[w.kind]}/${w.name}`;
    const key = `${w.namespace}/${target}`;
    if (waited.has(key)) continue; // two containers of one object: one wait
    waited.add(key);
    steps.push([
      lit('kubectl'),
      lit('rollout'),
      lit('status'),
      lit('-n'),
      val(w.namespace),
      val(target),
      val(`--timeout=${request.timeoutSeconds}s`),
    ]);
  }
  return steps;
}

/** The argv of every command the script runs, in order. Throws InvalidRolloutInput. */
export function buildRolloutSteps(request: RolloutRequest): string[][] {
  return typedSteps(request).map((step) => step.map((w) => ('literal' in w ? w.literal : w.value)));
}

/** The exact script sent to the cluster. Throws InvalidRolloutInput. */
export function buildRolloutScript(request: RolloutRequest): string {
  const lines = typedSteps(request).map((step) =>
    step.map((w) => ('literal' in w ? w.literal : shellQuote(w.value))).join(' '),
  );
  return [SCRIPT_PRELUDE, ...lines].join('\n') + '\n';
}
