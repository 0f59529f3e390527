// ROLLOUT_CONFIG's workloads: which repository's tags roll out to which Kubernetes object and
// container, in which regions, and the version policy that picks and orders its tags. Part of the
// one schema composed in schema.ts.
import { z } from 'zod';
import {
  TAG_POLICY_TEXT_MAX,
  VERSION_ORDERS,
  WORKLOAD_KINDS,
  isK8sLabel,
  isK8sSubdomain,
  isRepository,
  tagPatternProblem,
  versionRangeProblem,
} from '../../core/model';
import { regionName } from './regions-schema';

const tagGlob = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.*?-]+$/, { message: 'must be a tag glob of tag characters, * and ?' });

/** The workload as its problems name it: its ledger key when its fields give one. */
function workloadName(w: Record<string, unknown>): string {
  const id = [w.namespace, w.kind ?? 'Deployment', w.name, w.container];
  return id.every((part) => typeof part === 'string') ? `workload ${id.join('/')}` : 'this workload';
}

const bounded = (v: unknown): v is string => typeof v === 'string' && v.length <= TAG_POLICY_TEXT_MAX;

/** A range or pattern that does not compile names the workload and the text it holds. */
function versionPolicyIssues(w: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const name = workloadName(w);
  const range = w.versions;
  const rangeProblem = bounded(range) && range !== '' ? versionRangeProblem(range) : undefined;
  if (rangeProblem)
    ctx.addIssue({
      code: 'custom',
      path: ['versions'],
      message: `${name}: ${JSON.stringify(range)} is not a semver range (${rangeProblem}); e.g. "^2.3.0" or ">=1.4 <2"`,
    });
  const patterns: unknown[] = Array.isArray(w.ignoreTags) ? w.ignoreTags : [];
  patterns.forEach((source, i) => {
    const problem = bounded(source) ? tagPatternProblem(source) : undefined;
    if (problem)
      ctx.addIssue({
        code: 'custom',
        path: ['ignoreTags', i],
        message: `${name}: ${JSON.stringify(source)} is not a valid regular expression (${problem.replace(/^.*: /, '')})`,
      });
  });
}

export const workloadSchema = z
  .strictObject({
    repository: z.string().refine(isRepository, { message: 'must follow the OCI repository grammar' }),
    tags: z.array(tagGlob).min(1).default(['*']),
    namespace: z.string().refine(isK8sLabel, { message: 'must be a Kubernetes namespace name' }),
    kind: z.enum(WORKLOAD_KINDS).default('Deployment'),
    name: z.string().refine(isK8sSubdomain, { message: 'must be a Kubernetes object name' }),
    container: z.string().refine(isK8sLabel, { message: 'must be a Kubernetes container name' }),
    regions: z.array(regionName).min(1).optional(),
    versions: z.string().min(1).max(TAG_POLICY_TEXT_MAX).optional(),
    ignoreTags: z.array(z.string().max(TAG_POLICY_TEXT_MAX)).optional(),
    order: z.enum(VERSION_ORDERS).optional(),
  })
  // Also when another field of the workload is wrong (every problem told in one run): the value
  // may then be partly parsed, so versionPolicyIssues reads every field as unknown.
  .superRefine(versionPolicyIssues, {
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });
