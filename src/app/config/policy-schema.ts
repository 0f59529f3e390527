// ROLLOUT_CONFIG's policy: deadlines, retries, bake time, approvals and what a failure does.
// Part of the one schema composed in schema.ts.
import { z } from 'zod';
import { DEFAULT_STUCK_AFTER_SECONDS } from '../../core/notify';

export const policySchema = z.strictObject({
  replicationTimeoutSeconds: z.number().int().min(1).default(1800),
  rolloutTimeoutSeconds: z.number().int().min(1).max(3600).default(600),
  bakeSeconds: z.number().int().min(0).default(0),
  maxAttempts: z.number().int().min(1).max(20).default(3),
  continueOnFailure: z.boolean().default(false),
  retryBaseSeconds: z.number().min(0).default(30),
  replicaCheckIntervalSeconds: z.number().min(0).default(15),
  rolloutPollIntervalSeconds: z.number().min(0).default(10),
  onFailure: z.enum(['stop', 'revert']).default('stop'),
  /** A waiting or rolling-out region without progress this long raises region.stuck. */
  stuckAfterSeconds: z.number().int().min(60).max(86_400).default(DEFAULT_STUCK_AFTER_SECONDS),
  /** Waves that wait (awaiting-approval) until POST /api/releases/{id}/approve opens them. */
  approvalWaves: z.array(z.number().int().min(0)).max(20).default([]),
  /** A new-revision pod stuck (ImagePullBackOff, CrashLoopBackOff, ...) this long fails the attempt. */
  failFastSeconds: z.number().min(0).max(3600).default(120),
});
