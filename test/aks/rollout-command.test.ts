import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidRolloutInput,
  buildRolloutScript,
  buildRolloutSteps,
} from '../../src/adapters/clusters/rollout-command';
import { OR, tokenizeScript } from '../../src/adapters/clusters/script-syntax';
import { DIGEST_A, LOGIN_SERVER, RELEASE_ID, REPO, request, workload } from './fixtures';

const run = promisify(execFile);

const threeKinds = request({
  workloads: [
    workload({ kind: 'Deployment', name: 'web', container: 'app' }),
    workload({ kind: 'StatefulSet', name: 'db', container: 'app' }),
    workload({ namespace: 'infra', kind: 'DaemonSet', name: 'agent', container: 'agent' }),
  ],
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rollout-cmd-'));
  // A kubectl stand-in that prints each argument on its own NUL-terminated field, so the test
  // sees exactly the argv bash hands to kubectl; FAIL_ON=<n> makes the n-th call exit 3.
  const stub = `#!/bin/bash
count=$(( $(cat "$STUB_DIR/count" 2>/dev/null || echo 0) + 1 ))
echo "$count" > "$STUB_DIR/count"
printf '%s\\0' "$@" >> "$STUB_DIR/calls"
printf '\\n' >> "$STUB_DIR/calls"
if [ "$count" = "\${FAIL_ON:-0}" ]; then echo "error: stub failure" >&2; exit 3; fi
`;
  await writeFile(path.join(dir, 'kubectl'), stub);
  await chmod(path.join(dir, 'kubectl'), 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runWithStub(script: string, failOn = 0): Promise<{ code: number; calls: string[][] }> {
  const work = await mkdtemp(path.join(dir, 'run-'));
  const file = path.join(work, 'script.sh');
  await writeFile(file, script);
  let code = 0;
  try {
    await run('bash', [file], {
      env: { PATH: `${dir}:/usr/bin:/bin`, STUB_DIR: work, FAIL_ON: String(failOn) },
    });
  } catch (e) {
    code = (e as { code: number }).code;
  }
  let text = '';
  try {
    text = (await import('node:fs')).readFileSync(path.join(work, 'calls'), 'utf8');
  } catch {
    // no call made
  }
  const calls = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\0').slice(0, -1));
  return { code, calls };
}

describe('rollout script builder', () => {
  it('when a release targets three kinds, then it reads, fences, records and waits for each by digest', () => {
    const image = `${LOGIN_SERVER}/${REPO}@${DIGEST_A}`;
    const cause = `kubernetes.io/change-cause=rollout of ${REPO}:1.4.0 @ ${DIGEST_A} by release ${RELEASE_ID}`;
    const steps = buildRolloutSteps(threeKinds);
    const targets = ['deployment/web', 'statefulset/db', 'daemonset/agent'];
    expect(steps.map((s) => `${s[1]} ${s[s.indexOf('-n') + 2]}`)).toEqual([
      ...targets.flatMap((t) => [`get ${t}`, `patch ${t}`, `annotate ${t}`]),
      ...targets.map((t) => `rollout ${t}`),
    ]);
    const patch = steps[1]!;
    // No ledger entry: absent annotation (with and without a map), else our own change again.
    expect(patch.filter((w) => w === OR)).toHaveLength(2);
    const alternatives = patch.filter((w) => w.startsWith('['));
    expect(alternatives.map((p) => (JSON.parse(p) as Array<{ op: string; value: unknown }>)[0])).toEqual([
      { op: 'test', path: '/metadata/annotations/acr-geo-rollout~1release', value: null },
      { op: 'test', path: '/metadata/annotations', value: null },
      { op: 'test', path: '/metadata/annotations/acr-geo-rollout~1release', value: RELEASE_ID },
    ]);
    for (const p of alternatives) expect(p).toContain(`"value":"${image}"`);
    expect(steps[2]).toEqual(['kubectl', 'annotate', '--overwrite', '-n', 'shop', 'deployment/web', cause]);
    expect(steps.at(-1)).toEqual([
      'kubectl',
      'rollout',
      'status',
      '-n',
      'infra',
      'daemonset/agent',
      '--timeout=120s',
    ]);
    const script = buildRolloutScript(threeKinds);
    expect(script.split('\n')[0]).toBe('set -eu');
    expect(script).toContain(`kubectl patch -n 'shop' 'deployment/web' --type json -p '[`);
    expect(script).not.toContain('set image');
  });

  it('when the ledger recorded a release, then the fence tests exactly it, then our own id', () => {
    const expected = '8204255882000-aaaaaaaaaaaa';
    const steps = buildRolloutSteps(request({ workloads: [{ ...workload(), expectedRelease: expected }] }));
    const alternatives = steps[1]!.filter((w) => w.startsWith('[')).map((p) => JSON.parse(p) as unknown[]);
    expect(alternatives.map((ops) => ops[0])).toEqual([
      { op: 'test', path: '/metadata/annotations/acr-geo-rollout~1release', value: expected },
      { op: 'test', path: '/metadata/annotations/acr-geo-rollout~1release', value: RELEASE_ID },
    ]);
    expect(() =>
      buildRolloutSteps(request({ workloads: [{ ...workload(), expectedRelease: "x'; rm -rf /" }] })),
    ).toThrow(InvalidRolloutInput);
  });

  it('when two containers of one object are targeted, then it waits for that object once', () => {
    const steps = buildRolloutSteps(
      request({ workloads: [workload({ container: 'app' }), workload({ container: 'worker' })] }),
    );
    expect(steps.filter((s) => s[1] === 'rollout')).toHaveLength(1);
    expect(steps.filter((s) => s[1] === 'patch')).toHaveLength(2);
  });

  it('when the push had no tag, then the change cause names the repository and digest only', () => {
    const steps = buildRolloutSteps(request({}, { tag: '' }));
    expect(steps[2]?.[6]).toBe(
      `kubernetes.io/change-cause=rollout of ${REPO} @ ${DIGEST_A} by release ${RELEASE_ID}`,
    );
  });

  it('when the script is checked by bash -n, then its syntax is valid', async () => {
    const file = path.join(dir, 'syntax.sh');
    await writeFile(file, buildRolloutScript(threeKinds));
    await expect(run('bash', ['-n', file])).resolves.toBeDefined();
  });

  it('when bash runs the script, then kubectl receives exactly the built argv, in order', async () => {
    const { code, calls } = await runWithStub(buildRolloutScript(threeKinds));
    expect(code).toBe(0);
    // The stub accepts every call, so of each `a || b` only `a` runs.
    const firstAlternatives = buildRolloutSteps(threeKinds).map((s) =>
      (s.includes(OR) ? s.slice(0, s.indexOf(OR)) : s).slice(1),
    );
    expect(calls).toEqual(firstAlternatives);
  });

  it('when a kubectl call fails, then the script stops there with its exit code', async () => {
    const { code, calls } = await runWithStub(buildRolloutScript(threeKinds), 3);
    expect(code).toBe(3);
    expect(calls).toHaveLength(3); // the fence read, the first alternative of the patch, then the annotate failed
  });

  it('when the product tokenizer reads the script, then it gets the same argv back', () => {
    const { prelude, steps } = tokenizeScript(buildRolloutScript(threeKinds));
    expect(prelude).toEqual(['set -eu']);
    expect(steps).toEqual(buildRolloutSteps(threeKinds));
  });
});

describe('rollout script builder refuses what could reach a shell', () => {
  const payloads = [
    "web'; rm -rf / #",
    'web$(id)',
    'web`id`',
    'web\nkubectl delete ns shop',
    'web;id',
    'web|id',
    'web && id',
    'web"',
    'web ',
    'ｗｅｂ', // fullwidth letters
    'wеb', // Cyrillic е (U+0435)
    'аpp', // Cyrillic а (U+0430)
    'web\u200b', // zero-width space
  ];
  // Flag-like or empty values: rejected where they make up the whole value.
  const wholeValuePayloads = ['-n', '--all', ''];
  const wholeValueFields = new Set(['namespace', 'name', 'container', 'kind', 'repository', 'releaseId']);
  const fields: Array<[string, (v: string) => Parameters<typeof buildRolloutScript>[0]]> = [
    ['namespace', (v) => request({ workloads: [workload({ namespace: v })] })],
    ['name', (v) => request({ workloads: [workload({ name: v })] })],
    ['container', (v) => request({ workloads: [workload({ container: v })] })],
    ['kind', (v) => request({ workloads: [workload({ kind: v as 'Deployment' })] })],
    ['repository', (v) => request({ workloads: [workload({ repository: v })] }, { repository: v })],
    ['digest', (v) => request({}, { digest: `sha256:${'a'.repeat(63)}${v}` })],
    ['tag', (v) => request({}, { tag: `1.0${v}` })],
    ['loginServer', (v) => request({}, { loginServer: `myregistry.azurecr.io${v}` })],
    ['releaseId', (v) => request({ releaseId: v })],
  ];

  for (const [field, make] of fields) {
    it(`when ${field} carries shell syntax or look-alike letters, then the builder rejects it`, () => {
      for (const p of [...payloads, ...(wholeValueFields.has(field) ? wholeValuePayloads : [])]) {
        const req = make(p);
        expect(() => buildRolloutScript(req), `${field}=${JSON.stringify(p)}`).toThrow(InvalidRolloutInput);
        expect(() => buildRolloutSteps(req)).toThrow(InvalidRolloutInput);
      }
    });
  }

  it('when any string is offered as a name, then it is either rejected or reaches kubectl verbatim', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom('namespace', 'name', 'container'),
        (v, field) => {
          const req = request({ workloads: [workload({ [field]: v })] });
          let script: string;
          try {
            script = buildRolloutScript(req);
          } catch (e) {
            return e instanceof InvalidRolloutInput;
          }
          return JSON.stringify(tokenizeScript(script).steps) === JSON.stringify(buildRolloutSteps(req));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('when the workload belongs to another repository, then the builder refuses to give it this image', () => {
    expect(() => buildRolloutScript(request({ workloads: [workload({ repository: 'other/app' })] }))).toThrow(
      /repository of workload/,
    );
  });

  it('when there is nothing to roll out or the timeout is not whole seconds, then it is rejected', () => {
    expect(() => buildRolloutScript(request({ workloads: [] }))).toThrow(InvalidRolloutInput);
    expect(() => buildRolloutScript(request({ timeoutSeconds: 1.5 }))).toThrow(InvalidRolloutInput);
    expect(() => buildRolloutScript(request({ timeoutSeconds: 0 }))).toThrow(InvalidRolloutInput);
  });

  it('when a script holds anything but words and single quotes, then the tokenizer refuses it', () => {
    for (const bad of [
      'kubectl get pods; id',
      'kubectl "x"',
      'kubectl $(id)',
      'kubectl `id`',
      'kubectl a|b',
      "kubectl 'open",
    ])
      expect(() => tokenizeScript(bad), bad).toThrow(/line 1/);
  });
});
