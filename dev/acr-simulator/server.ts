// The registry's HTTP surface, one base URL per region (`/<region>/...`): token endpoints,
// Bearer challenges, manifest HEAD/GET and ACR's _tags listing; plus `/_control/*` for the demo.
import type http from 'node:http';
import { isDigest, isRepository, isTag } from '../../src/core/model/names';
import type { Replication, StoredTag } from './replication';
import type { TokenService } from './tokens';
import type { FaultSettings, PathKind, RegistryFault } from './types';

export const MANIFEST_ACCEPT_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface ServerContext {
  regions: readonly string[];
  loginServer: string;
  baseUrl: () => string;
  replication: Replication;
  tokens: TokenService;
  faults: () => FaultSettings;
  requireAllAcceptTypes: () => boolean;
  tagsPageSize: number;
  count(region: string, kind: PathKind): void;
  /** Requests held open by the 'hang' fault; closed on stop. */
  hung: Set<http.ServerResponse>;
  control: {
    push(input: unknown): unknown;
    deleteManifest(repository: string, digest: string): boolean;
    state(): unknown;
    deliveries(): unknown;
    setFaults(patch: Partial<FaultSettings>): FaultSettings;
    setWebhooks(hooks: unknown): void;
    ping(region: string): void;
    holds(region: string, repository: string, digest: string): boolean;
    revokeTokens(kind: 'access' | 'refresh' | 'all'): void;
  };
}

type Res = http.ServerResponse;

function json(res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Docker-Distribution-Api-Version': 'registry/2.0',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function distributionError(
  res: Res,
  status: number,
  code: string,
  message: string,
  detail: unknown,
  headers = {},
): void {
  json(res, status, { errors: [{ code, message, detail }] }, headers);
}

function readBody(req: http.IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function acceptTypes(req: http.IncomingMessage): Set<string> {
  const raw = req.headersDistinct.accept ?? [];
  return new Set(
    raw
      .join(',')
      .split(',')
      .map((s) => s.split(';')[0]!.trim().toLowerCase())
      .filter((s) => s.length > 0),
  );
}

/** Decodes `/<a>/<b>` path components; undefined if any is malformed. */
function decodeRepository(parts: string[]): string | undefined {
  try {
    return parts.map((p) => decodeURIComponent(p)).join('/');
  } catch {
    return undefined;
  }
}

export function createHandler(ctx: ServerContext) {
  const challenge = (region: string, scope: string): Record<string, string> => ({
    'WWW-Authenticate': `Bearer realm="${ctx.baseUrl()}/${region}/oauth2/token",service="${ctx.loginServer}",scope="${scope}"`,
  });

  /** Applies a region's fault; true when the request was answered (or swallowed) by it. */
  const faulted = (region: string, req: http.IncomingMessage, res: Res, auth: boolean): boolean => {
    const fault: RegistryFault | undefined = ctx.faults().registry[region];
    const target = fault?.target ?? 'registry';
    if (!fault || (auth ? target === 'registry' : target === 'auth')) return false;
    if (fault.count !== undefined) {
      if (fault.count <= 0) return false;
      fault.count--;
    }
    if (fault.kind === 'hang') {
      ctx.hung.add(res);
      res.on('close', () => ctx.hung.delete(res));
      req.resume();
      return true;
    }
    const headers: Record<string, string> = {};
    if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
    const status = Number(fault.kind);
    const code = { 403: 'DENIED', 429: 'TOOMANYREQUESTS', 503: 'UNAVAILABLE' }[status] ?? 'UNAVAILABLE';
    distributionError(
      res,
      status,
      code,
      status === 403 ? 'requested access to the resource is denied' : 'simulated fault',
      null,
      headers,
    );
    return true;
  };

  async function handleToken(
    region: string,
    kind: 'exchange' | 'token',
    req: http.IncomingMessage,
    res: Res,
  ) {
    ctx.count(region, kind);
    if (faulted(region, req, res, true)) return;
    if (req.method !== 'POST') return distributionError(res, 405, 'UNSUPPORTED', 'POST only', null);
    const form = new URLSearchParams(await readBody(req));
    const result = kind === 'exchange' ? ctx.tokens.exchange(region, form) : ctx.tokens.token(region, form);
    if (result.ok) return json(res, 200, result.value);
    return distributionError(res, result.status, result.code, result.message, null);
  }

  function handleManifest(
    region: string,
    repository: string,
    reference: string,
    req: http.IncomingMessage,
    res: Res,
  ) {
    ctx.count(region, 'manifest');
    if (faulted(region, req, res, false)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return distributionError(res, 405, 'UNSUPPORTED', 'GET/HEAD only', null);
    if (!authorized(region, repository, 'pull', req, res)) return;
    const m = ctx.replication.manifest(region, repository, reference);
    const accepted = acceptTypes(req);
    const isIndex = m !== undefined && (m.mediaType.includes('index') || m.mediaType.includes('list'));
    const acceptable =
      m !== undefined &&
      (!ctx.requireAllAcceptTypes() ||
        (accepted.has(m.mediaType) && (!isIndex || MANIFEST_ACCEPT_TYPES.every((t) => accepted.has(t)))));
    if (!m || !acceptable)
      return distributionError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown', {
        Tag: isDigest(reference) ? undefined : reference,
        Name: repository,
        Revision: isDigest(reference) ? reference : undefined,
      });
    res.writeHead(200, {
      'Content-Type': m.mediaType,
      'Content-Length': String(Buffer.byteLength(m.body)),
      'Docker-Content-Digest': m.digest,
      'Docker-Distribution-Api-Version': 'registry/2.0',
      ETag: `"${m.digest}"`,
    });
    res.end(req.method === 'HEAD' ? undefined : m.body);
  }

  /** A token for this region and scope, or the 401 challenge that says how to get one. */
  function authorized(
    region: string,
    repository: string,
    action: string,
    req: http.IncomingMessage,
    res: Res,
  ): boolean {
    if (ctx.tokens.allows(req.headers.authorization, region, repository, action)) return true;
    distributionError(
      res,
      401,
      'UNAUTHORIZED',
      'authentication required',
      [{ Type: 'repository', Name: repository, Action: action }],
      challenge(region, `repository:${repository}:${action}`),
    );
    return false;
  }

  function handleTags(region: string, repository: string, url: URL, req: http.IncomingMessage, res: Res) {
    ctx.count(region, 'tags');
    if (faulted(region, req, res, false)) return;
    if (!authorized(region, repository, 'metadata_read', req, res)) return;
    if (!ctx.replication.hasRepository(region, repository))
      return distributionError(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry', {
        name: repository,
      });
    const orderby = url.searchParams.get('orderby') ?? '';
    const n = Math.min(Math.max(Number(url.searchParams.get('n') ?? '100') || 100, 1), ctx.tagsPageSize);
    const last = url.searchParams.get('last');
    const byTime = (a: StoredTag, b: StoredTag): number =>
      a.lastUpdateTime.getTime() - b.lastUpdateTime.getTime() || a.name.localeCompare(b.name);
    let tags = ctx.replication.tags(region, repository);
    if (orderby === 'timedesc') tags.sort((a, b) => byTime(b, a));
    else if (orderby === 'timeasc') tags.sort(byTime);
    else tags.sort((a, b) => a.name.localeCompare(b.name));
    if (last) {
      const at = tags.findIndex((t) => t.name === last);
      tags = at === -1 ? (orderby ? [] : tags.filter((t) => t.name > last)) : tags.slice(at + 1);
    }
    const page = tags.slice(0, n);
    const headers: Record<string, string> = {};
    if (tags.length > n && page.length > 0) {
      const q = new URLSearchParams({ last: page[page.length - 1]!.name, n: String(n) });
      if (orderby) q.set('orderby', orderby);
      headers.Link = `</acr/v1/${repository}/_tags?${q.toString()}>; rel="next"`;
    }
    json(
      res,
      200,
      {
        registry: ctx.loginServer,
        imageName: repository,
        tags: page.map(tagAttributes),
      },
      headers,
    );
  }

  /** ACR's "Get tag attributes": GET /acr/v1/<repo>/_tags/<tag> (the tag's digest and times). */
  function handleTagAttributes(
    region: string,
    repository: string,
    tag: string,
    req: http.IncomingMessage,
    res: Res,
  ) {
    ctx.count(region, 'tag');
    if (faulted(region, req, res, false)) return;
    if (!authorized(region, repository, 'metadata_read', req, res)) return;
    const t = ctx.replication.tags(region, repository).find((x) => x.name === tag);
    if (!t)
      return distributionError(res, 404, 'TAG_UNKNOWN', 'the specified tag does not exist', {
        name: repository,
        tag,
      });
    json(res, 200, {
      registry: ctx.loginServer,
      imageName: repository,
      tag: tagAttributes(t),
    });
  }

  function handleHolds(url: URL, res: Res) {
    const q = (name: string) => url.searchParams.get(name) ?? '';
    const [region, repository, digest] = [q('region'), q('repository'), q('digest')];
    const problems = [
      ctx.regions.includes(region) ? '' : `region: not a region of this registry (${ctx.regions.join(', ')})`,
      isRepository(repository) ? '' : 'repository: must follow the OCI repository grammar',
      isDigest(digest) ? '' : 'digest: must be sha256:<64 hex>',
    ].filter((p) => p !== '');
    if (problems.length > 0) return json(res, 400, { error: problems.join('; ') });
    return json(res, 200, { holds: ctx.control.holds(region, repository, digest) });
  }

  async function handleControl(path: string, url: URL, req: http.IncomingMessage, res: Res) {
    // The control API is a dev tool on loopback: bodies are passed on and validated by push() & co.
    const body = async (): Promise<Record<string, unknown>> => {
      const text = await readBody(req);
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (!parsed || typeof parsed !== 'object') throw new Error('body must be a JSON object or array');
      return parsed as Record<string, unknown>;
    };
    try {
      if (req.method === 'POST' && path === 'push') return json(res, 201, ctx.control.push(await body()));
      if (req.method === 'POST' && path === 'delete') {
        const b = await body();
        return json(res, 200, {
          deleted: ctx.control.deleteManifest(String(b.repository), String(b.digest)),
        });
      }
      if (req.method === 'GET' && path === 'state') return json(res, 200, ctx.control.state());
      // The AKS simulator in another process asks this per pull (dev/aks-simulator --acr).
      if (req.method === 'GET' && path === 'holds') return handleHolds(url, res);
      if (req.method === 'GET' && path === 'deliveries') return json(res, 200, ctx.control.deliveries());
      if (req.method === 'POST' && path === 'faults')
        return json(res, 200, ctx.control.setFaults(await body()));
      if (req.method === 'POST' && path === 'webhooks') {
        ctx.control.setWebhooks(await body());
        return json(res, 204, {});
      }
      if (req.method === 'POST' && path === 'ping') {
        const b = await body();
        ctx.control.ping(String(b.region));
        return json(res, 202, {});
      }
      if (req.method === 'POST' && path === 'revoke-tokens') {
        const b = await body();
        ctx.control.revokeTokens(b.kind === 'access' || b.kind === 'refresh' ? b.kind : 'all');
        return json(res, 204, {});
      }
      return json(res, 404, { error: 'unknown control route' });
    } catch (e) {
      return json(res, 400, { error: (e as Error).message });
    }
  }

  return async function handle(req: http.IncomingMessage, res: Res): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter((p) => p.length > 0);
    if (parts[0] === '_control') return handleControl(parts.slice(1).join('/'), url, req, res);
    const region = parts[0] ?? '';
    if (!ctx.regions.includes(region)) return json(res, 404, { error: `unknown region ${region}` });
    const rest = parts.slice(1);
    if (rest[0] === 'oauth2' && (rest[1] === 'exchange' || rest[1] === 'token') && rest.length === 2)
      return handleToken(region, rest[1], req, res);
    if (rest[0] === 'v2' && rest.length === 1) {
      ctx.count(region, 'ping');
      if (faulted(region, req, res, false)) return;
      if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? ''))
        return distributionError(res, 401, 'UNAUTHORIZED', 'authentication required', null, {
          'WWW-Authenticate': `Bearer realm="${ctx.baseUrl()}/${region}/oauth2/token",service="${ctx.loginServer}"`,
        });
      return json(res, 200, {});
    }
    // /v2/<repo...>/manifests/<reference>
    if (rest[0] === 'v2' && rest.length >= 4 && rest[rest.length - 2] === 'manifests') {
      const repository = decodeRepository(rest.slice(1, -2));
      const reference = decodeRepository([rest[rest.length - 1]!]);
      if (
        !repository ||
        !isRepository(repository) ||
        !reference ||
        !(isDigest(reference) || isTag(reference))
      ) {
        ctx.count(region, 'manifest');
        return distributionError(res, 404, 'NAME_INVALID', 'invalid repository name or reference', null);
      }
      return handleManifest(region, repository, reference, req, res);
    }
    // /acr/v1/<repo...>/_tags
    if (rest[0] === 'acr' && rest[1] === 'v1' && rest.length >= 4 && rest[rest.length - 1] === '_tags') {
      const repository = decodeRepository(rest.slice(2, -1));
      if (!repository || !isRepository(repository)) {
        ctx.count(region, 'tags');
        return distributionError(res, 404, 'NAME_INVALID', 'invalid repository name', null);
      }
      return handleTags(region, repository, url, req, res);
    }
    // /acr/v1/<repo...>/_tags/<tag>
    if (rest[0] === 'acr' && rest[1] === 'v1' && rest.length >= 5 && rest[rest.length - 2] === '_tags') {
      const repository = decodeRepository(rest.slice(2, -2));
      const tag = decodeRepository([rest[rest.length - 1]!]);
      if (!repository || !isRepository(repository) || !tag || !isTag(tag)) {
        ctx.count(region, 'tag');
        return distributionError(res, 404, 'NAME_INVALID', 'invalid repository name or tag', null);
      }
      return handleTagAttributes(region, repository, tag, req, res);
    }
    ctx.count(region, 'other');
    return distributionError(res, 404, 'NOT_FOUND', 'not found', null);
  };
}

/** ACR's tag attributes object, as its tag list and "Get tag attributes" answer it. */
function tagAttributes(t: { name: string; digest: string; createdTime: Date; lastUpdateTime: Date }) {
  return {
    name: t.name,
    digest: t.digest,
    createdTime: t.createdTime.toISOString(),
    lastUpdateTime: t.lastUpdateTime.toISOString(),
    signed: false,
    changeableAttributes: { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true },
  };
}
