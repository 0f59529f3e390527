// Validation of the status API's query parameters (zod). Every problem names its parameter, so
// a 400 tells the caller exactly what to fix; unknown parameters (e.g. Azure's `code` key) are
// ignored. Empty values (`?repository=`) mean "not given", as HTML forms send them.
import { z } from 'zod';
import { REGION_ROLLOUT_STATES, isRepository } from '../../core/model';
import { RELEASE_ID_PATTERN } from '../../core/intake';

export const RELEASE_STATE_FILTERS = ['active', 'done', ...REGION_ROLLOUT_STATES] as const;
export type ReleaseStateFilter = (typeof RELEASE_STATE_FILTERS)[number];

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export interface ReleasesQuery {
  repository?: string | undefined;
  state?: ReleaseStateFilter | undefined;
  limit: number;
  /** The store's continuation token (already decoded from the API's URL-safe form). */
  continuationToken?: string | undefined;
}

export interface QueryProblem {
  parameter: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: QueryProblem[] };

// The store's token is base64 of a small JSON object naming where the next page starts (the
// Table SDK's format). The API hands it out as base64url so it needs no URL escaping, and checks
// its shape on the way back in so a garbage token is a 400, not an SDK error.
export function toApiToken(storeToken: string | undefined): string | undefined {
  return storeToken === undefined ? undefined : Buffer.from(storeToken, 'base64').toString('base64url');
}

// A key in a token: at most 1 KiB, no control characters, well-formed UTF-16 (a lone surrogate
// made the SDK's URL encoding throw a URIError, answered 500). Other characters are left alone:
// Azure's own tokens are opaque and may use any of them.
const isControl = (v: string) =>
  [...v].some((ch) => ch.charCodeAt(0) < 0x20 || (ch >= '\u007f' && ch <= '\u009f'));
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isTokenKey = (v: string) => v.length <= 1024 && !isControl(v) && !LONE_SURROGATE.test(v);

export function fromApiToken(apiToken: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(apiToken)) return undefined;
  const bytes = Buffer.from(apiToken, 'base64url');
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const { nextPartitionKey, nextRowKey } = parsed as Record<string, unknown>;
    if (typeof nextPartitionKey !== 'string' || nextPartitionKey === '') return undefined;
    if (nextRowKey !== undefined && typeof nextRowKey !== 'string') return undefined;
    if (!isTokenKey(nextPartitionKey) || (nextRowKey !== undefined && !isTokenKey(nextRowKey)))
      return undefined;
  } catch {
    return undefined;
  }
  return bytes.toString('base64');
}

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

const limitMessage = `must be an integer from 1 to ${MAX_LIMIT}`;

const releasesQuerySchema = z.object({
  repository: optional(
    z.string().refine(isRepository, {
      message: 'must be a repository name in the OCI grammar (lowercase path, e.g. team/my-app)',
    }),
  ),
  state: optional(
    z.enum(RELEASE_STATE_FILTERS, { message: `must be one of ${RELEASE_STATE_FILTERS.join(', ')}` }),
  ),
  limit: optional(
    z
      .string()
      .regex(/^\d{1,3}$/, { message: limitMessage })
      .transform(Number)
      .pipe(z.number().int().min(1, { message: limitMessage }).max(MAX_LIMIT, { message: limitMessage })),
  ),
  continuationToken: optional(
    z.string().transform((t, ctx) => {
      const store = fromApiToken(t);
      if (store === undefined) {
        ctx.addIssue({ code: 'custom', message: 'is not a continuation token this API returned' });
        return z.NEVER;
      }
      return store;
    }),
  ),
});

function problemsOf(error: z.ZodError): QueryProblem[] {
  return error.issues.map((i) => ({ parameter: String(i.path[0] ?? 'query'), message: i.message }));
}

/** `raw` holds the first value of each query parameter (absent = undefined). */
export function parseReleasesQuery(raw: Record<string, string | undefined>): Parsed<ReleasesQuery> {
  const parsed = releasesQuerySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  return { ok: true, value: { ...parsed.data, limit: parsed.data.limit ?? DEFAULT_LIMIT } };
}

export function isReleaseId(id: string): boolean {
  return RELEASE_ID_PATTERN.test(id);
}
