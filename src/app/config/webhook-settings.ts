// The webhook settings: the secrets ACR's webhooks authenticate with, and how long a webhook's
// inline reconcile may run before it answers. Part of the one settings schema composed in schema.ts.
import { z } from 'zod';

export const webhookSettings = z.object({
  WEBHOOK_SECRETS: z
    .string({ message: 'is required: one or more comma-separated secrets' })
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ''))
        .filter((s) => s.length > 0),
    )
    .refine((v) => v.length > 0, 'is required: one or more comma-separated secrets')
    .refine((v) => v.every((s) => s.length >= 16), 'each secret must be at least 16 characters')
    // A header value cannot carry them reliably, so such a secret could never match (values not shown).
    .refine(
      (v) => v.every((s) => /^[\x21-\x7E]+$/.test(s)),
      'each secret must be printable ASCII without whitespace or control characters',
    ),
  /** Wall-clock budget of the inline reconcile a webhook runs before answering. */
  WEBHOOK_NUDGE_BUDGET_MS: z.coerce.number().int().min(0).max(4000).default(2500),
});
