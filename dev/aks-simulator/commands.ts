// Executes a Run Command script on a simulated cluster the way `sh` + kubectl would: the
// product's own tokenizer splits it (anything else is a shell syntax error), `set -eu` stops at
// the first failure with kubectl's exit code, and the output becomes the command's logs.
import type { WorkloadKind } from '../../src/core/model/names';
import { FENCE_READ_PREFIX } from '../../src/adapters/clusters/rollout-command';
import {
  OR,
  ScriptSyntaxError,
  SCRIPT_PRELUDE,
  tokenizeScript,
} from '../../src/adapters/clusters/script-syntax';
import { RELEASE_ANNOTATION } from '../../src/core/rollout/fence';
import { applyJsonPatch, PatchError, type Json } from '../k8s-simulator/patch';
import { ContainerNotFound, type SimCluster } from './cluster';

export interface ScriptOutcome {
  exitCode: number;
  logs: string;
}

const KIND_ALIASES: Record<string, WorkloadKind> = {
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  'deployment.apps': 'Deployment',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  'statefulset.apps': 'StatefulSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  ds: 'DaemonSet',
  'daemonset.apps': 'DaemonSet',
};

const PLURAL: Record<WorkloadKind, string> = {
  Deployment: 'deployments.apps',
  StatefulSet: 'statefulsets.apps',
  DaemonSet: 'daemonsets.apps',
};
const SINGULAR: Record<WorkloadKind, string> = {
  Deployment: 'deployment.apps',
  StatefulSet: 'statefulset.apps',
  DaemonSet: 'daemonset.apps',
};

class KubectlError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface Parsed {
  namespace: string;
  positional: string[];
  overwrite: boolean;
  timeout?: string | undefined;
  type?: string | undefined;
  patch?: string | undefined;
  output?: string | undefined;
}

/** The flags our scripts use; any other flag fails like kubectl's "unknown flag". */
function parseFlags(args: string[]): Parsed {
  const out: Parsed = { namespace: 'default', positional: [], overwrite: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-n' || a === '--namespace') {
      const v = args[++i];
      if (v === undefined)
        throw new KubectlError(`error: flag needs an argument: '${a.replace(/^-+/, '')}' in ${a}`);
      out.namespace = v;
    } else if (a.startsWith('--namespace=')) out.namespace = a.slice('--namespace='.length);
    else if (a === '--overwrite' || a === '--overwrite=true') out.overwrite = true;
    else if (a.startsWith('--timeout=')) out.timeout = a.slice('--timeout='.length);
    else if (a === '--type' || a === '-p' || a === '-o') {
      const v = args[++i];
      if (v === undefined) throw new KubectlError(`error: flag needs an argument: ${a}`);
      if (a === '--type') out.type = v;
      else if (a === '-p') out.patch = v;
      else out.output = v;
    } else if (a.startsWith('-')) throw new KubectlError(`error: unknown flag: ${a}`);
    else out.positional.push(a);
  }
  return out;
}

function resolveTarget(cluster: SimCluster, namespace: string, target: string | undefined) {
  const m = target ? /^([A-Za-z.]+)\/(.+)$/.exec(target) : null;
  const kind = m?.[1] ? KIND_ALIASES[m[1].toLowerCase()] : undefined;
  if (!m?.[2] || !kind)
    throw new KubectlError(`error: the server doesn't have a resource type "${target ?? ''}"`);
  const w = cluster.find(namespace, kind, m[2]);
  if (!w) throw new KubectlError(`Error from server (NotFound): ${PLURAL[kind]} "${m[2]}" not found`);
  return { w, kind, name: m[2] };
}

/** kubectl's answer to the API server's 422 for a JSON patch that does not apply. */
const INVALID = 'The request is invalid: the server rejected our request due to an error in our request';

/** kubectl patch --type json, applied atomically as the API server does (any failing op: 422). */
async function jsonPatch(cluster: SimCluster, p: Parsed): Promise<string> {
  const { w, kind, name } = resolveTarget(cluster, p.namespace, p.positional[0]);
  if (p.type !== 'json' || p.patch === undefined)
    throw new KubectlError('error: the simulator supports only patch --type json -p <patch>');
  const view = cluster.jsonView(w);
  let patched: Json;
  try {
    patched = applyJsonPatch(view, JSON.parse(p.patch) as unknown);
  } catch (e) {
    if (e instanceof PatchError || e instanceof SyntaxError) throw new KubectlError(INVALID);
    throw e;
  }
  await cluster.applyJsonView(w, patched);
  return `${SINGULAR[kind]}/${name} patched`;
}

/** kubectl get -o jsonpath=<the fence read>: the only read our scripts make. */
function fenceRead(cluster: SimCluster, p: Parsed): string {
  const { w } = resolveTarget(cluster, p.namespace, p.positional[0]);
  if (!p.output?.startsWith(`jsonpath=${FENCE_READ_PREFIX} `))
    throw new KubectlError(`error: the simulator supports only the fence read, not -o ${p.output ?? ''}`);
  const target = p.positional[0] ?? '';
  const release = w.annotations[RELEASE_ANNOTATION] ?? '';
  const names = w.containers.map((c) => c.name).join(' ');
  return `${FENCE_READ_PREFIX} ${p.namespace}/${target} release=${release} containers=${names}`;
}

async function kubectl(cluster: SimCluster, args: string[]): Promise<string> {
  const [verb, ...rest] = args;
  if (verb === 'patch') return jsonPatch(cluster, parseFlags(rest));
  if (verb === 'get') return fenceRead(cluster, parseFlags(rest));
  if (verb === 'set' && rest[0] === 'image') {
    const p = parseFlags(rest.slice(1));
    const { w, kind, name } = resolveTarget(cluster, p.namespace, p.positional[0]);
    const pairs = p.positional.slice(1);
    if (pairs.length === 0) throw new KubectlError('error: at least one image update is required');
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new KubectlError(`error: invalid image update "${pair}"`);
      try {
        await cluster.setImage(w, pair.slice(0, eq), pair.slice(eq + 1));
      } catch (e) {
        if (e instanceof ContainerNotFound) throw new KubectlError(`error: ${e.message}`);
        throw e;
      }
    }
    return `${SINGULAR[kind]}/${name} image updated`;
  }
  if (verb === 'annotate') {
    const p = parseFlags(rest);
    const { w, kind, name } = resolveTarget(cluster, p.namespace, p.positional[0]);
    const pairs = p.positional.slice(1);
    if (pairs.length === 0) throw new KubectlError('error: at least one annotation update is required');
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new KubectlError(`error: invalid annotation format: ${pair}`);
      try {
        cluster.annotate(w, pair.slice(0, eq), pair.slice(eq + 1), p.overwrite);
      } catch (e) {
        throw new KubectlError(`error: ${(e as Error).message}`);
      }
    }
    return `${SINGULAR[kind]}/${name} annotated`;
  }
  if (verb === 'rollout' && rest[0] === 'status') {
    const p = parseFlags(rest.slice(1));
    const { w, kind, name } = resolveTarget(cluster, p.namespace, p.positional[0]);
    const noun = kind === 'DaemonSet' ? 'daemon set' : kind.toLowerCase();
    const outcome = await cluster.rolloutStatus(w);
    if (outcome.ok) return `${noun} "${name}" successfully rolled out`;
    throw new KubectlError(
      [
        `Waiting for ${noun} "${name}" rollout to finish: 0 of 1 updated replicas are available...`,
        `Warning  Failed  pod/${name}-0  ${outcome.message ?? 'ImagePullBackOff'}`,
        'error: timed out waiting for the condition',
      ].join('\n'),
    );
  }
  throw new KubectlError(`error: unknown command "${args.join(' ')}" for "kubectl"`);
}

function splitOr(words: string[]): string[][] {
  const lists: string[][] = [[]];
  for (const word of words) {
    if (word === OR) lists.push([]);
    else lists[lists.length - 1]?.push(word);
  }
  return lists;
}

async function runOne(cluster: SimCluster, argv: string[], out: string[]): Promise<number> {
  const [program, ...args] = argv;
  if (program !== 'kubectl') {
    out.push(`sh: 1: ${program ?? ''}: not found`);
    return 127;
  }
  try {
    out.push(await kubectl(cluster, args));
    return 0;
  } catch (e) {
    if (!(e instanceof KubectlError)) throw e; // the simulator stopping: let it propagate
    out.push(e.message);
    return e.exitCode;
  }
}

export async function executeScript(cluster: SimCluster, script: string): Promise<ScriptOutcome> {
  let parsed: ReturnType<typeof tokenizeScript>;
  try {
    parsed = tokenizeScript(script);
  } catch (e) {
    const line = e instanceof ScriptSyntaxError ? e.line : 0;
    return { exitCode: 2, logs: `sh: ${line}: Syntax error: ${(e as Error).message}\n` };
  }
  const errexit = parsed.prelude.includes(SCRIPT_PRELUDE);
  const out: string[] = [];
  let exitCode = 0;
  for (const line of parsed.steps) {
    // `a || b`: b runs only when a failed; the list's status is the last one run (errexit
    // applies to the list as a whole).
    for (const argv of splitOr(line)) {
      exitCode = await runOne(cluster, argv, out);
      if (exitCode === 0) break;
    }
    if (exitCode !== 0 && errexit) break;
  }
  return { exitCode, logs: out.join('\n') + '\n' };
}
