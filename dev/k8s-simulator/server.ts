// The HTTP face of the simulated API server on loopback: discovery, GET (single, list and
// watch) and PATCH of apps/v1 workloads and v1 pods, with bearer-token authentication,
// per-identity authorization and metav1.Status errors. Status progression is not here: the
// simulator's clock (advance) drives the controllers.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { discoveryDocument } from './discovery';
import { applyJsonPatch, applyMergePatch, applyStrategicMerge, PatchError, type Json } from './patch';
import {
  allowed,
  authenticate,
  forbidden,
  notFound,
  status,
  UNAUTHORIZED,
  type Identity,
  type StatusBody,
} from './status';
import {
  K8sStore,
  KIND_OF,
  RESOURCES,
  apiVersionOf,
  groupOf,
  meta,
  type JsonObject,
  type Resource,
} from './store';
import { WatchHub } from './watch';

export interface ApiServerHooks {
  identities: () => Identity[];
  /** Called after every accepted write so the controllers can react (e.g. create a ReplicaSet). */
  afterWrite: () => void;
  /** POST /_control/advance {ms} (no auth, loopback only). */
  advance: (ms: number) => void;
  /** Fault switches: a status to answer the next API request with instead of serving it. */
  nextFault: () => number | undefined;
  /** Runs just before a PATCH is applied (a concurrent writer landing between read and write). */
  beforePatch: (resource: Resource, namespace: string, name: string) => void;
  /** Whether to apply the next PATCH but drop its answer (the connection is reset). */
  dropPatchAnswer: () => boolean;
  /** An accepted PATCH: who sent it and the object after it (for the tests' exactly-once checks). */
  afterPatch?: (resource: Resource, namespace: string, name: string, user: string, after: JsonObject) => void;
}

interface Route {
  resource: Resource;
  namespace: string | undefined;
  name: string | undefined;
}

const ROUTE = /^\/(?:api\/v1|apis\/apps\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/;

function parseRoute(pathname: string): Route | undefined {
  const m = ROUTE.exec(pathname);
  if (!m) return undefined;
  const resource = m[2] as Resource;
  if (!RESOURCES.includes(resource)) return undefined;
  const core = pathname.startsWith('/api/v1');
  if (core !== (groupOf(resource) === '')) return undefined;
  return { resource, namespace: m[1] && decodeURIComponent(m[1]), name: m[3] && decodeURIComponent(m[3]) };
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: http.ServerResponse, body: StatusBody): void {
  send(res, body.code, body);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `a=b,c=d` and `a==b`; enough for the selectors kubectl and the product send. */
export function matchesSelector(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split(/==?/);
    return k !== undefined && labels[k.trim()] === v?.trim();
  });
}

function matchesFields(obj: JsonObject, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split(/==?/);
    if (k === 'metadata.name') return meta(obj).name === v;
    if (k === 'metadata.namespace') return meta(obj).namespace === v;
    return true;
  });
}

export function listFilter(url: URL, route: Route) {
  const labels = url.searchParams.get('labelSelector');
  const fields = url.searchParams.get('fieldSelector');
  return (obj: JsonObject): boolean =>
    (route.namespace === undefined || meta(obj).namespace === route.namespace) &&
    matchesSelector((meta(obj).labels ?? {}) as Record<string, string>, labels) &&
    matchesFields(obj, fields);
}

export class ApiServer {
  private server: http.Server | undefined;
  readonly watches: WatchHub;

  constructor(
    private readonly store: K8sStore,
    private readonly hooks: ApiServerHooks,
  ) {
    this.watches = new WatchHub(store);
  }

  /** With tls: HTTPS (kubectl sends bearer tokens only over TLS); without: plain HTTP. */
  async listen(port = 0, tls?: { cert: string; key: string }): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) fail(res, status(500, 'InternalError', `internal error: ${String(err)}`));
        else res.destroy();
      });
    };
    const server = tls
      ? https.createServer({ cert: tls.cert, key: tls.key }, handler)
      : http.createServer(handler);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.watches.closeAll();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/_control/advance' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)) || '{}') as { ms?: unknown };
      if (typeof body.ms !== 'number' || !(body.ms >= 0))
        return send(res, 400, { error: 'ms must be a number >= 0' });
      this.hooks.advance(body.ms);
      return send(res, 200, { ok: true });
    }
    const identity = authenticate(req.headers.authorization, this.hooks.identities());
    if (!identity) return fail(res, UNAUTHORIZED);
    const fault = this.hooks.nextFault();
    if (fault !== undefined)
      return fail(
        res,
        status(fault, fault === 429 ? 'TooManyRequests' : 'InternalError', `injected fault ${fault}`),
      );
    const doc = discoveryDocument(url.pathname, req.headers.host ?? '127.0.0.1');
    if (doc !== undefined && req.method === 'GET') return send(res, 200, doc);
    const nsMatch = /^\/api\/v1\/namespaces\/([a-z0-9-]{1,63})$/.exec(url.pathname);
    if (nsMatch && req.method === 'GET') return send(res, 200, namespaceObject(nsMatch[1] ?? ''));
    const route = parseRoute(url.pathname);
    if (!route) return fail(res, status(404, 'NotFound', 'the server could not find the requested resource'));
    if (req.method === 'GET') return this.get(req, res, url, route, identity);
    if (req.method === 'PATCH' && route.name && route.namespace) return this.patch(req, res, route, identity);
    return fail(
      res,
      status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`),
    );
  }

  private get(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    route: Route,
    who: Identity,
  ): void {
    const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const verb = route.name ? 'get' : watch ? 'watch' : 'list';
    const access = { verb, resource: route.resource, namespace: route.namespace, name: route.name } as const;
    if (!allowed(who, access)) return fail(res, forbidden(who.user, access));
    if (route.name) {
      const obj = route.namespace ? this.store.get(route.resource, route.namespace, route.name) : undefined;
      return obj ? send(res, 200, obj) : fail(res, notFound(route.resource, route.name));
    }
    const filter = listFilter(url, route);
    if (watch) return this.watches.serve(req, res, url, route.resource, filter);
    const items = this.store.list(route.resource, route.namespace).filter(filter);
    // Items of a list carry no kind/apiVersion, as the API server writes them.
    for (const i of items) {
      delete i.kind;
      delete i.apiVersion;
    }
    send(res, 200, {
      kind: `${KIND_OF[route.resource]}List`,
      apiVersion: apiVersionOf(route.resource),
      metadata: { resourceVersion: this.store.resourceVersion },
      items,
    });
  }

  private async patch(req: http.IncomingMessage, res: http.ServerResponse, route: Route, who: Identity) {
    const name = route.name ?? '';
    const ns = route.namespace ?? '';
    const access = { verb: 'patch', resource: route.resource, namespace: ns, name } as const;
    if (!allowed(who, access)) return fail(res, forbidden(who.user, access));
    this.hooks.beforePatch(route.resource, ns, name);
    const current = this.store.get(route.resource, ns, name);
    if (!current) return fail(res, notFound(route.resource, name));
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
    let patch: Json;
    try {
      patch = JSON.parse(await readBody(req)) as Json;
    } catch (err) {
      return fail(res, status(400, 'BadRequest', `error decoding patch: ${String(err)}`));
    }
    let next: Json;
    try {
      if (type === 'application/json-patch+json') next = applyJsonPatch(current, patch);
      else if (type === 'application/merge-patch+json') next = applyMergePatch(current, patch);
      else if (type === 'application/strategic-merge-patch+json') next = applyStrategicMerge(current, patch);
      else
        return fail(
          res,
          status(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
          ),
        );
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      // The API server's answer to a patch that does not apply (e.g. a failed `test`): a generic
      // 422 Invalid without causes (NewGenericServerResponse), the JSON patch error not exposed.
      if (err.code === 422)
        return fail(
          res,
          status(422, 'Invalid', 'the server rejected our request due to an error in our request', {}),
        );
      return fail(res, status(400, 'BadRequest', err.message));
    }
    const invalid = validate(route.resource, name, next);
    if (invalid) return fail(res, invalid);
    const stored = this.store.update(route.resource, next as JsonObject);
    this.hooks.afterPatch?.(route.resource, ns, name, who.user, stored);
    this.hooks.afterWrite();
    if (this.hooks.dropPatchAnswer()) return void res.destroy();
    send(res, 200, this.store.get(route.resource, ns, name) ?? stored);
  }
}

/** Every namespace exists (kubectl reads it to word a NotFound). */
function namespaceObject(name: string) {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** The checks the API server's validation would fail on for the fields a patch can break. */
function validate(resource: Resource, name: string, obj: Json): StatusBody | undefined {
  const invalid = (field: string, msg: string) =>
    status(
      422,
      'Invalid',
      `${KIND_OF[resource]}${groupOf(resource) ? '.apps' : ''} "${name}" is invalid: ${field}: ${msg}`,
      {
        name,
        group: groupOf(resource),
        kind: KIND_OF[resource],
        causes: [{ reason: 'FieldValueInvalid', message: msg }],
      },
    );
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return invalid('metadata', 'Required value');
  const spec = obj.spec as JsonObject | undefined;
  const podSpec =
    resource === 'pods' ? spec : ((spec?.template as JsonObject | undefined)?.spec as JsonObject | undefined);
  const containers = podSpec?.containers;
  if (!Array.isArray(containers) || containers.length === 0)
    return invalid('spec.template.spec.containers', 'Required value');
  for (const [i, c] of containers.entries()) {
    const cc = c as JsonObject;
    if (typeof cc.name !== 'string' || cc.name === '')
      return invalid(`spec.template.spec.containers[${i}].name`, 'Required value');
    if (typeof cc.image !== 'string' || cc.image.trim() === '')
      return invalid(`spec.template.spec.containers[${i}].image`, 'Required value');
  }
  return undefined;
}
