// ROLLOUT_CONFIG's workloads: which repository's tags roll out to which Kubernetes object and
// container, and in which regions. Part of the one schema composed in schema.ts.
import { z } from 'zod';
import { WORKLOAD_KINDS, isK8sLabel, isK8sSubdomain, isRepository } from '../../core/model';
import { regionName } from './regions-schema';

const tagGlob = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.*?-]+$/, { message: 'must be a tag glob of tag characters, * and ?' });

export const workloadSchema = z.strictObject({
  repository: z.string().refine(isRepository, { message: 'must follow the OCI repository grammar' }),
  tags: z.array(tagGlob).min(1).default(['*']),
  namespace: z.string().refine(isK8sLabel, { message: 'must be a Kubernetes namespace name' }),
  kind: z.enum(WORKLOAD_KINDS).default('Deployment'),
  name: z.string().refine(isK8sSubdomain, { message: 'must be a Kubernetes object name' }),
  container: z.string().refine(isK8sLabel, { message: 'must be a Kubernetes container name' }),
  regions: z.array(regionName).min(1).optional(),
});
