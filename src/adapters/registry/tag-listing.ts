// Recent tags of a repository on the home registry, newest first, from ACR's own listing
// `GET /acr/v1/<repo>/_tags?orderby=timedesc&n=N`, following `Link: <...>; rel="next"`.
import { z } from 'zod';
import { errorMessage, safeJson } from '../../core/platform';
import { isDigest, isRepository, isTag } from '../../core/model';
import type { RegistryListingPort, TagListing } from '../../core/model';
import { repositoryPath, type AcrClient } from './client';

/** ACR's page size limit for _tags. */
const MAX_PAGE_SIZE = 100;
const MAX_PAGES = 20;

const tagsPage = z.object({
  tags: z
    .array(
      z.object({
        name: z.string(),
        digest: z.string(),
        lastUpdateTime: z.string(),
      }),
    )
    .default([]),
});

export class AcrListingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcrListingError';
  }
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && m[1] !== undefined && /(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

export class AcrRegistryListing implements RegistryListingPort {
  constructor(
    private readonly client: AcrClient,
    /** Home registry base URL, e.g. https://myregistry.azurecr.io. */
    private readonly endpoint: string,
  ) {}

  async recentTags(repository: string, limit: number, signal?: AbortSignal): Promise<TagListing[]> {
    if (!isRepository(repository)) throw new AcrListingError('invalid repository name: not listing tags');
    if (!Number.isInteger(limit) || limit < 1) throw new AcrListingError(`invalid tag limit ${limit}`);
    const base = this.endpoint.replace(/\/+$/, '');
    const n = Math.min(limit, MAX_PAGE_SIZE);
    let path: string | undefined = `/acr/v1/${repositoryPath(repository)}/_tags?orderby=timedesc&n=${n}`;
    const found: TagListing[] = [];
    for (let page = 0; path !== undefined && found.length < limit; page++) {
      if (page >= MAX_PAGES) break;
      const res = await this.client
        .call({ method: 'GET', base, path, scope: `repository:${repository}:metadata_read` }, signal)
        .catch((e: unknown) => {
          throw new AcrListingError(`listing tags of ${repository}: ${errorMessage(e)}`);
        });
      // A repository not (yet) in the registry has no tags; any other 404 is a misconfiguration.
      if (res.status === 404 && page === 0 && errorCode(res.body) === 'NAME_UNKNOWN') return [];
      if (res.status !== 200) throw new AcrListingError(`listing tags of ${repository}: HTTP ${res.status}`);
      const parsed = tagsPage.safeParse(safeJson(res.body));
      if (!parsed.success)
        throw new AcrListingError(`listing tags of ${repository}: unexpected response shape`);
      for (const t of parsed.data.tags) {
        // Untrusted values: anything off-grammar is skipped rather than passed on.
        if (isTag(t.name) && isDigest(t.digest) && !Number.isNaN(Date.parse(t.lastUpdateTime)))
          found.push({ tag: t.name, digest: t.digest, updatedAt: new Date(t.lastUpdateTime).toISOString() });
      }
      path = this.samePlacePath(base, nextLink(res.headers.get('link')));
    }
    // Stable sort: the server's order, repaired if a page boundary raced a push.
    return found.sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt)).slice(0, limit);
  }

  /**
   * ACR's Link is host-relative (`/acr/v1/...`); like the Azure SDK, append it to the base.
   * Anything pointing elsewhere is refused: our token must not follow it.
   */
  private samePlacePath(base: string, link: string | undefined): string | undefined {
    if (!link) return undefined;
    if (link.startsWith('/acr/v1/')) return link;
    try {
      const abs = new URL(link);
      const b = new URL(base);
      const basePath = b.pathname.replace(/\/+$/, '');
      if (abs.origin === b.origin && abs.pathname.startsWith(`${basePath}/acr/v1/`))
        return abs.pathname.slice(basePath.length) + abs.search;
    } catch {
      // fall through
    }
    throw new AcrListingError('registry returned a paging link outside the registry');
  }
}

function errorCode(body: string): string | undefined {
  const parsed = z
    .object({ errors: z.array(z.object({ code: z.string() })).min(1) })
    .safeParse(safeJson(body));
  return parsed.success ? parsed.data.errors[0]?.code : undefined;
}
