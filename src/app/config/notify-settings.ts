// The notification settings: where messages go and the status page they link to. Part of the
// one settings schema composed in schema.ts.
import { z } from 'zod';
import { statusPageUrlSchema } from '../notify';

export const notifySettings = z.object({
  /** Notification targets (JSON, see app/notify/targets.ts); parsed there, so its errors never quote a URL. */
  NOTIFY_TARGETS: z.string().optional(),
  /** The status page messages link to. */
  STATUS_PAGE_URL: statusPageUrlSchema,
});
