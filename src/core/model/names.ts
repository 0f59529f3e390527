// The grammars every untrusted name must match before it reaches a table key, a URL or a
// command line (docs/rules.md rule 7). Kept as plain predicates so the core, the config schema and
// the adapters share exactly one definition.
import type { Workload } from './records';
import { policyAdmits, tagPolicyOf, type VersionPolicySettings } from './versions';

/** OCI distribution: path components of lowercase alphanumerics joined by separators. */
const REPOSITORY_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const REPOSITORY_PATTERN = new RegExp(`^${REPOSITORY_COMPONENT}(?:/${REPOSITORY_COMPONENT})*$`);
export const REPOSITORY_MAX_LENGTH = 255;

/** OCI distribution: a tag is at most 128 characters of [A-Za-z0-9_.-], not starting with . or -. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Only sha256 digests are deployed; ACR computes sha256 for every manifest. */
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** Kubernetes DNS-1123 label: namespaces and container names. */
export const K8S_LABEL_PATTERN = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** Kubernetes DNS-1123 subdomain: Deployment, StatefulSet and DaemonSet names. */
export const K8S_SUBDOMAIN_PATTERN =
  /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/** Azure region names as ARM spells them (eastus, westeurope, eastus2euap). */
export const REGION_PATTERN = /^[a-z][a-z0-9]{1,39}$/;

/** A registry login server: a DNS host name with an optional port (loopback hosts in local runs). */
export const LOGIN_SERVER_PATTERN =
  /^(?=.{1,253}(?::\d{1,5})?$)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/;

/** AKS managed cluster resource id. */
export const AKS_RESOURCE_ID_PATTERN =
  /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w._()]{1,90})\/providers\/Microsoft\.ContainerService\/managedClusters\/([a-zA-Z0-9][-_a-zA-Z0-9]{0,62})$/i;

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export function isRepository(value: string): boolean {
  return value.length <= REPOSITORY_MAX_LENGTH && REPOSITORY_PATTERN.test(value);
}
export function isTag(value: string): boolean {
  return TAG_PATTERN.test(value);
}
export function isDigest(value: string): boolean {
  return DIGEST_PATTERN.test(value);
}
export function isRegion(value: string): boolean {
  return REGION_PATTERN.test(value);
}
export function isK8sLabel(value: string): boolean {
  return K8S_LABEL_PATTERN.test(value);
}
export function isK8sSubdomain(value: string): boolean {
  return K8S_SUBDOMAIN_PATTERN.test(value);
}
export function isLoginServer(value: string): boolean {
  return LOGIN_SERVER_PATTERN.test(value);
}

export interface AksClusterId {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}
export function parseAksResourceId(id: string): AksClusterId | undefined {
  const m = AKS_RESOURCE_ID_PATTERN.exec(id);
  if (!m || !m[1] || !m[2] || !m[3]) return undefined;
  return { subscriptionId: m[1], resourceGroup: m[2], name: m[3] };
}

/**
 * Tag globs from the workload config: `*` matches any run of tag characters, `?` one.
 * Everything else is literal, so a glob can never become a regex injection.
 */
export function tagMatches(glob: string, tag: string): boolean {
  const source = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(tag);
}

/**
 * Whether a workload watches pushes of repository:tag: one of its tag globs matches the tag, and
 * its version policy takes it (not an ignored tag; a version in its range; a version at all for
 * the semver order). The one answer to "does this workload watch this tag" (planning, the scan,
 * the intake check).
 */
export function watchesTag(
  w: Pick<Workload, 'repository' | 'tags'> & VersionPolicySettings,
  repository: string,
  tag: string,
): boolean {
  return (
    w.repository === repository &&
    w.tags.some((glob) => tagMatches(glob, tag)) &&
    policyAdmits(tagPolicyOf(w), tag)
  );
}
