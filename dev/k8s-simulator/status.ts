// metav1.Status bodies exactly as the API server writes them for errors, and the bearer-token
// authentication plus per-identity authorization (RBAC-shaped rules) in front of every call.
import { createHash, timingSafeEqual } from 'node:crypto';
import { groupOf, type Resource } from './store';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message: string }>;
  };
  code: number;
}

export function status(
  code: number,
  reason: string,
  message: string,
  details?: StatusBody['details'],
): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** "deployments.apps" or "pods": how the API server names a resource in messages. */
export function qualified(resource: Resource): string {
  const g = groupOf(resource);
  return g ? `${resource}.${g}` : resource;
}

export function notFound(resource: Resource, name: string): StatusBody {
  return status(404, 'NotFound', `${qualified(resource)} "${name}" not found`, {
    name,
    group: groupOf(resource),
    kind: resource,
  });
}

export const UNAUTHORIZED = status(401, 'Unauthorized', 'Unauthorized');

export interface AccessRequest {
  verb: 'get' | 'list' | 'watch' | 'patch';
  resource: Resource;
  namespace: string | undefined;
  name: string | undefined;
}

export function forbidden(user: string, req: AccessRequest): StatusBody {
  const subject = req.name ? `${qualified(req.resource)} "${req.name}"` : qualified(req.resource);
  const scope = req.namespace ? `in the namespace "${req.namespace}"` : 'at the cluster scope';
  const message = `${subject} is forbidden: User "${user}" cannot ${req.verb} resource "${req.resource}" in API group "${groupOf(req.resource)}" ${scope}`;
  return status(403, 'Forbidden', message, {
    ...(req.name ? { name: req.name } : {}),
    group: groupOf(req.resource),
    kind: req.resource,
  });
}

/** An RBAC-like rule: verbs on resources, in the listed namespaces (undefined: all). */
export interface AccessRule {
  verbs: AccessRequest['verb'][];
  resources: Resource[];
  namespaces?: string[];
}

export interface Identity {
  token: string;
  user: string;
  /** Undefined: may do everything. */
  rules?: AccessRule[];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time token lookup (every identity compared, hashes of equal length). */
export function authenticate(header: string | undefined, identities: Identity[]): Identity | undefined {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const presented = digest(match[1]);
  let found: Identity | undefined;
  for (const id of identities) if (timingSafeEqual(presented, digest(id.token))) found = id;
  return found;
}

export function allowed(identity: Identity, req: AccessRequest): boolean {
  if (!identity.rules) return true;
  return identity.rules.some(
    (r) =>
      r.verbs.includes(req.verb) &&
      r.resources.includes(req.resource) &&
      (r.namespaces === undefined || (req.namespace !== undefined && r.namespaces.includes(req.namespace))),
  );
}
