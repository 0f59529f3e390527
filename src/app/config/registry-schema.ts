// ROLLOUT_CONFIG's registry: the ACR the app watches, its home region and endpoints. Part of the
// one schema composed in schema.ts.
import { z } from 'zod';
import { isLoginServer } from '../../core/model';
import { regionName } from './regions-schema';

export const registrySchema = z.strictObject({
  loginServer: z
    .string()
    .refine(isLoginServer, { message: 'must be a host name such as myregistry.azurecr.io' }),
  homeRegion: regionName,
  endpoint: z.url({ message: 'must be an http(s) URL' }).optional(),
  /** `https://<registry>.{region}.geo.azurecr.io`: regional endpoints (Preview, Premium). */
  regionalEndpoint: z
    .url({ message: 'must be an http(s) URL template containing {region}' })
    .refine((v) => v.replaceAll('{region}', 'x').length > 0 && v.includes('{region}'), {
      message: 'must contain the {region} placeholder',
    })
    .optional(),
  /** How many recent tags the timer's scan reads per watched repository. */
  scanTags: z.number().int().min(1).max(1000).default(50),
});

type RegistrySection = z.infer<typeof registrySchema>;

export interface RegistryConfig {
  loginServer: string;
  homeRegion: string;
  endpoint: string;
  regionalEndpoint?: string | undefined;
  scanTags: number;
}

/**
 * The registry part of a ROLLOUT_CONFIG that did not parse as a whole, when its own fields did
 * (its endpoints are then still checked in the same run).
 */
export function registryOfRaw(text: string | undefined): RegistrySection | undefined {
  try {
    const registry = (JSON.parse(text ?? '') as { registry?: unknown }).registry;
    const parsed = registrySchema.safeParse(registry);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The registry as the app calls it: the login server's own endpoint unless one is named, no trailing slash. */
export function registryOf(registry: RegistrySection): RegistryConfig {
  return {
    loginServer: registry.loginServer,
    homeRegion: registry.homeRegion,
    endpoint: (registry.endpoint ?? `https://${registry.loginServer}`).replace(/\/+$/, ''),
    regionalEndpoint: registry.regionalEndpoint?.replace(/\/+$/, ''),
    scanTags: registry.scanTags,
  };
}
