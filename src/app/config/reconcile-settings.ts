// The reconcile settings: dry run, the budget and parallelism of one timer run, and the timer's
// schedule (read by the Functions host). Part of the one settings schema composed in schema.ts.
import { z } from 'zod';
import { ncrontabProblem } from './ncrontab';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''], {
    message: 'must be true or false (1/0 and yes/no are read too)',
  })
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const reconcileSettings = z.object({
  DRY_RUN: bool,
  /** Wall-clock budget of one timer run. */
  RECONCILE_BUDGET_SECONDS: z.coerce.number().int().min(1).max(600).default(50),
  /** Releases advanced in parallel by one timer run. */
  RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
});

/**
 * Read by the Functions host, not by the app (so not in SETTING_NAMES), but checked with the rest:
 * an invalid timer schedule would otherwise only show as a function the host refused to load.
 */
export const hostSettingsSchema = z.object({
  RECONCILE_SCHEDULE: z
    .string()
    .superRefine((v, ctx) => {
      const problem = ncrontabProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});
