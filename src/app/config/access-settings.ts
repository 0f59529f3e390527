// The access settings: how the app reaches Azure (the ARM endpoint, its identity, a static token
// for loopback simulators) and who may act through it (the operator role under Easy Auth). Part of
// the one settings schema composed in schema.ts.
import { z } from 'zod';

export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

export const accessSettings = z.object({
  ARM_ENDPOINT: z.url().default(DEFAULT_ARM_ENDPOINT),
  LOCAL_DEV_TOKEN: z.string().min(1).optional(),
  AZURE_CLIENT_ID: z.string().optional(),
  /** The app role an operator action needs when App Service Authentication is on. */
  OPERATOR_ROLE: z
    .string()
    .regex(/^[\x21-\x7E]{1,120}$/, 'must be an app role value: 1-120 printable characters, no spaces')
    .default('Rollout.Operator'),
});

/** App Service sets WEBSITE_AUTH_ENABLED (`True`) when App Service Authentication is on; not a setting of ours. */
export function easyAuthEnabled(env: Record<string, string | undefined>): boolean {
  return env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === 'true';
}
