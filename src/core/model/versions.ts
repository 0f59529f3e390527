// A workload's version policy (docs/configuration.md "Version policies"): the tags it never takes
// (`ignoreTags`, signature and attestation tags by default), the semver range it takes
// (`versions`) and how its releases are ordered (`order`). Compiled once per workload: the config
// parse compiles every configured workload up front (a bad range or pattern is a config problem
// there), so matching a tag never compiles anything.
import { Range, compare, valid } from 'semver';

export const VERSION_ORDERS = ['pushed', 'semver'] as const;
/** `pushed`: the later push is newer; `semver`: the higher version of the tag is. */
export type VersionOrder = (typeof VERSION_ORDERS)[number];

/** Cosign/Notation signature, attestation and SBOM tags: `sha256-<hex>`, `.sig`, `.att`, `.sbom`. */
export const DEFAULT_IGNORE_TAGS: readonly string[] = ['sha256-[0-9a-f]{64}(\\.sig|\\.att|\\.sbom)?'];
/** Bound of one ignore pattern and of one range (a tag itself is at most 128 characters). */
export const TAG_POLICY_TEXT_MAX = 256;

/** A workload's version policy as configured (src/app/config/workloads-schema.ts). */
export interface VersionPolicySettings {
  /** A semver range (`^2.3.0`, `>=1.4 <2`): only tags whose version is in it roll out. */
  versions?: string | undefined;
  /** Regular expressions (anchored) of tags never rolled out; absent: DEFAULT_IGNORE_TAGS. */
  ignoreTags?: string[] | undefined;
  /** How the workload's releases are ordered: by push (default) or by the version of the tag. */
  order?: VersionOrder | undefined;
}

export interface TagPolicy {
  /** Anchored: a tag is ignored when one of them matches all of it. */
  ignore: readonly RegExp[];
  /** Only versions in this range (prereleases only when the range names one, as semver does). */
  range: Range | undefined;
  order: VersionOrder;
}

/** The normalized semver of a tag (`v1.2.3` is `1.2.3`), undefined when the tag is none. */
export function versionOf(tag: string): string | undefined {
  return valid(tag) ?? undefined;
}

/** semver's order of two versions (compare's sign); undefined unless both are valid. */
export function compareVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b || !valid(a) || !valid(b)) return undefined;
  return compare(a, b);
}

/** The pattern as it is applied: anchored at both ends, so `latest` does not ignore `latest-rc`. */
export function compileTagPattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** Why a pattern cannot be compiled, in the engine's words; undefined when it can. */
export function tagPatternProblem(source: string): string | undefined {
  try {
    compileTagPattern(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Why a text is not a semver range, in the package's words; undefined when it is one. */
export function versionRangeProblem(text: string): string | undefined {
  try {
    new Range(text);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const DEFAULT_IGNORE = DEFAULT_IGNORE_TAGS.map(compileTagPattern);
const compiled = new WeakMap<object, TagPolicy>();

/**
 * The workload's policy, compiled on its first use and kept with the workload object (the config
 * parse makes that first use). Throws on a range or pattern the config check would have refused.
 */
export function tagPolicyOf(w: VersionPolicySettings): TagPolicy {
  const hit = compiled.get(w);
  if (hit) return hit;
  const policy: TagPolicy = {
    ignore: w.ignoreTags ? w.ignoreTags.map(compileTagPattern) : DEFAULT_IGNORE,
    range: w.versions !== undefined ? new Range(w.versions) : undefined,
    order: w.order ?? 'pushed',
  };
  compiled.set(w, policy);
  return policy;
}

/**
 * Whether the policy takes this tag: not ignored, and, with a range or the semver order, a
 * valid version (in the range). A tag that is no version cannot be ordered by version, so an
 * `order: "semver"` workload never takes it.
 */
export function policyAdmits(policy: TagPolicy, tag: string): boolean {
  if (policy.ignore.some((re) => re.test(tag))) return false;
  if (!policy.range && policy.order === 'pushed') return true;
  const version = versionOf(tag);
  if (version === undefined) return false;
  return !policy.range || policy.range.test(version);
}
