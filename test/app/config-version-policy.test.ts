// The workloads' version policies in the configuration: a range or an ignore pattern that does
// not compile is a problem naming the workload and the text, told with every other problem in
// the same run; a pattern is bounded in length and refused for nothing else; `order` takes
// `pushed` or `semver`, and with `semver` a workload whose tags are no versions watches nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/app/config/schema';
import { watchesTag } from '../../src/core/model/names';
import { tagPolicyOf } from '../../src/core/model/versions';
import { testRolloutConfig } from '../support/config';

const WEB = { repository: 'my-app', namespace: 'default', name: 'web', container: 'web' };
const env = (workloads: Array<Record<string, unknown>>, over: Record<string, string> = {}) => ({
  ROLLOUT_CONFIG: JSON.stringify(testRolloutConfig({ workloads })),
  WEBHOOK_SECRETS: 'first-secret-0123456789',
  ROLLOUT_STORAGE: 'UseDevelopmentStorage=true',
  ...over,
});

function problemsOf(e: Record<string, string>): string[] {
  try {
    parseConfig(e);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('version policies in the configuration', () => {
  it('when versions, ignoreTags and order are absent, then the workload is as before: push order, signature tags ignored', () => {
    const [w] = parseConfig(env([WEB])).workloads;
    expect(w).toEqual({ ...WEB, kind: 'Deployment', tags: ['*'] });
    expect(tagPolicyOf(w!).order).toBe('pushed');
    expect(watchesTag(w!, 'my-app', 'latest')).toBe(true);
    expect(watchesTag(w!, 'my-app', `sha256-${'0'.repeat(64)}.sig`)).toBe(false);
  });

  it('when all three are set, then they are kept as written and compiled at parse', () => {
    const [w] = parseConfig(
      env([{ ...WEB, versions: '>=1.4 <2', ignoreTags: ['.*-debug'], order: 'semver' }]),
    ).workloads;
    expect(w).toMatchObject({ versions: '>=1.4 <2', ignoreTags: ['.*-debug'], order: 'semver' });
    // Compiled by the parse: the same policy object is what every match uses.
    expect(tagPolicyOf(w!)).toBe(tagPolicyOf(w!));
    expect(tagPolicyOf(w!).range?.range).toBe('>=1.4.0 <2.0.0-0');
    expect(['1.5.0', '1.5.0-debug', '2.0.0'].map((t) => watchesTag(w!, 'my-app', t))).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('when a range is invalid, then the problem names the workload and the range, with every other problem', () => {
    const problems = problemsOf(
      env(
        [
          { ...WEB, versions: '^2.x.banana' },
          { ...WEB, name: 'api', container: 'api', kind: 'Pod' },
        ],
        {
          WEBHOOK_SECRETS: 'short',
        },
      ),
    );
    expect(problems).toContain(
      'ROLLOUT_CONFIG.workloads[0].versions: workload default/Deployment/web/web: "^2.x.banana" is not a semver range (Invalid comparator: ^2.x.banana); e.g. "^2.3.0" or ">=1.4 <2"',
    );
    expect(problems.join('\n')).toMatch(/ROLLOUT_CONFIG\.workloads\[1\]\.kind/);
    expect(problems.join('\n')).toMatch(/WEBHOOK_SECRETS/);
  });

  it('when the workload has another problem too, then its invalid range is still told in the same run', () => {
    const problems = problemsOf(env([{ ...WEB, repository: 'Bad Repo', versions: 'banana' }]));
    expect(problems.join('\n')).toMatch(/workloads\[0\]\.repository: must follow the OCI repository grammar/);
    expect(problems.join('\n')).toMatch(
      /workloads\[0\]\.versions: workload default\/Deployment\/web\/web: "banana" is not a semver range/,
    );
  });

  it('when an ignore pattern is not a regular expression, then the problem names the workload and the pattern', () => {
    const problems = problemsOf(env([{ ...WEB, ignoreTags: ['ok', 'a(b', '*'] }]));
    expect(problems).toEqual([
      'ROLLOUT_CONFIG.workloads[0].ignoreTags[1]: workload default/Deployment/web/web: "a(b" is not a valid regular expression (Unterminated group)',
      'ROLLOUT_CONFIG.workloads[0].ignoreTags[2]: workload default/Deployment/web/web: "*" is not a valid regular expression (Nothing to repeat)',
    ]);
  });

  it('when a pattern or a range is longer than 256 characters, then it is refused for that alone; nothing else is', () => {
    const long = 'a'.repeat(257);
    const problems = problemsOf(
      env([{ ...WEB, ignoreTags: [long], versions: `>=1.0.0 ${' '.repeat(250)}` }]),
    );
    expect(problems).toEqual([
      'ROLLOUT_CONFIG.workloads[0].versions: must be at most 256 characters long',
      'ROLLOUT_CONFIG.workloads[0].ignoreTags[0]: must be at most 256 characters long',
    ]);
    // An empty list (ignore nothing) and odd but valid patterns are accepted.
    expect(() => parseConfig(env([{ ...WEB, ignoreTags: [] }]))).not.toThrow();
    expect(() => parseConfig(env([{ ...WEB, ignoreTags: ['', '.*', '(?:x|y)+'] }]))).not.toThrow();
  });

  it('when order is not pushed or semver, then it is refused naming the choices', () => {
    expect(problemsOf(env([{ ...WEB, order: 'newest' }]))).toEqual([
      'ROLLOUT_CONFIG.workloads[0].order: must be one of "pushed", "semver", not "newest"',
    ]);
  });

  it('when order is semver with tags that are no versions, then it is accepted and, as documented, watches none of them', () => {
    const [w] = parseConfig(env([{ ...WEB, tags: ['latest', 'main-*', '1.*'], order: 'semver' }])).workloads;
    expect(['latest', 'main-4f2a', '1.2.0', '1.2'].map((t) => watchesTag(w!, 'my-app', t))).toEqual([
      false,
      false,
      true,
      false,
    ]);
  });

  it('when the sample settings write the default ignore pattern without backslashes (for azd), then it ignores the same tags', () => {
    const file = path.resolve(__dirname, '..', '..', 'local.settings.sample.json');
    const sample = JSON.parse(readFileSync(file, 'utf8')) as { Values: { ROLLOUT_CONFIG: string } };
    const [w] = (JSON.parse(sample.Values.ROLLOUT_CONFIG) as { workloads: Array<Record<string, unknown>> })
      .workloads;
    expect(JSON.stringify(w!.ignoreTags)).not.toContain('\\');
    const hex = 'ab'.repeat(32);
    const tags = [
      `sha256-${hex}.sig`,
      `sha256-${hex}.att`,
      `sha256-${hex}.sbom`,
      `sha256-${hex}`,
      `sha256-${hex}xsig`,
      '1.0.0',
    ];
    const withSample = { repository: 'my-app', tags: ['*'], ignoreTags: w!.ignoreTags as string[] };
    const withDefault = { repository: 'my-app', tags: ['*'] };
    expect(tags.map((t) => watchesTag(withSample, 'my-app', t))).toEqual(
      tags.map((t) => watchesTag(withDefault, 'my-app', t)),
    );
    expect(tags.map((t) => watchesTag(withDefault, 'my-app', t))).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
  });
});
