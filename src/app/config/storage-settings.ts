// The storage settings: the account the tables (and the wake-up queue beside them) live in, by
// connection string or by managed identity, and the prefix of the table names. Part of the one
// settings schema composed in schema.ts.
import { z } from 'zod';
import { TABLE_PREFIX_PATTERN } from '../../core/model';
import { wakeQueueName } from '../../core/wakeups';

export const storageSettings = z.object({
  ROLLOUT_STORAGE: z.string().optional(),
  ROLLOUT_STORAGE__tableServiceUri: z.url().optional(),
  /** The queue endpoint with managed identity (the wake-up queue; the trigger reads it too). */
  ROLLOUT_STORAGE__queueServiceUri: z.url().optional(),
  /** Prefix of the table names, so several installations can share one storage account. */
  ROLLOUT_TABLE_PREFIX: z
    .string()
    .regex(TABLE_PREFIX_PATTERN, 'must be a letter, then letters and digits, at most 40 characters')
    .default('rollout'),
});

type StorageSettings = z.infer<typeof storageSettings>;

export type StorageConfig =
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; tableServiceUri: string };

export type QueueConfig =
  | { kind: 'connectionString'; connectionString: string; queueName: string }
  | { kind: 'identity'; queueServiceUri: string; queueName: string };

export function storageOf(
  s: Pick<StorageSettings, 'ROLLOUT_STORAGE' | 'ROLLOUT_STORAGE__tableServiceUri'>,
  problems: string[],
): StorageConfig | undefined {
  if (s.ROLLOUT_STORAGE) return { kind: 'connectionString', connectionString: s.ROLLOUT_STORAGE };
  if (s.ROLLOUT_STORAGE__tableServiceUri)
    return { kind: 'identity', tableServiceUri: s.ROLLOUT_STORAGE__tableServiceUri };
  problems.push(
    'ROLLOUT_STORAGE: set a connection string, or ROLLOUT_STORAGE__tableServiceUri for managed identity',
  );
  return undefined;
}

/**
 * The queue beside the tables: a connection string has one unless it lists explicit endpoints
 * without a QueueEndpoint (a table-only emulator); with identity, ROLLOUT_STORAGE__queueServiceUri.
 */
export function queueOf(
  s: Pick<StorageSettings, 'ROLLOUT_STORAGE' | 'ROLLOUT_STORAGE__queueServiceUri' | 'ROLLOUT_TABLE_PREFIX'>,
): QueueConfig | undefined {
  const queueName = wakeQueueName(s.ROLLOUT_TABLE_PREFIX);
  if (s.ROLLOUT_STORAGE) {
    const cs = s.ROLLOUT_STORAGE;
    if (/(^|;)\s*TableEndpoint=/i.test(cs) && !/(^|;)\s*QueueEndpoint=/i.test(cs)) return undefined;
    return { kind: 'connectionString', connectionString: cs, queueName };
  }
  if (s.ROLLOUT_STORAGE__queueServiceUri)
    return { kind: 'identity', queueServiceUri: s.ROLLOUT_STORAGE__queueServiceUri, queueName };
  return undefined;
}
