// ROLLOUT_CONFIG's regions: each Azure region the app rolls out to, its AKS cluster and how the
// cluster is reached. Part of the one schema composed in schema.ts.
import { z } from 'zod';
import { isRegion, parseAksResourceId, REGION_ACCESS_MODES, type RegionConfig } from '../../core/model';

export const regionName = z
  .string()
  .refine(isRegion, { message: 'must be an Azure region name such as westeurope' });

export const regionSchema = z.strictObject({
  name: regionName,
  wave: z.number().int().min(0).max(100).optional(),
  cluster: z.string().refine((v) => parseAksResourceId(v) !== undefined, {
    message:
      'must be an AKS resource id: /subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>',
  }),
  /** kubernetes-api (default): the cluster's API server; run-command: AKS Run Command via ARM. */
  access: z.enum(REGION_ACCESS_MODES).default('kubernetes-api'),
  /** Accept a local-accounts kubeconfig (admin-equivalent) on a kubernetes-api region. */
  allowLocalAccounts: z.boolean().default(false),
});

/** The regions with their waves: a region's own `wave`, else 0 for the home region and 1 for the rest. */
export function regionsOf(
  regions: ReadonlyArray<z.infer<typeof regionSchema>>,
  homeRegion: string,
): RegionConfig[] {
  return regions.map((r) => ({
    name: r.name,
    cluster: r.cluster,
    wave: r.wave ?? (r.name === homeRegion ? 0 : 1),
    access: r.access,
    allowLocalAccounts: r.allowLocalAccounts,
  }));
}
