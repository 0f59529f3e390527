// The three PATCH flavours the API server accepts, applied to a deep copy so a failure changes
// nothing. JSON patch follows RFC 6902 with the API server's one deviation (evanphx/json-patch):
// `test` with `"value": null` succeeds when the member is missing. Merge patch is RFC 7386.
// Strategic merge merges the pod spec's named lists by `name` (as the Kubernetes patch
// strategy does for containers, volumes, env, ...) and honours `$patch: delete` and
// `$setElementOrder/...` directives the way kubectl sends them.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export class PatchError extends Error {
  constructor(
    message: string,
    /** 400: the patch itself is malformed; 422: it does not apply to this object. */
    readonly code: 400 | 422,
  ) {
    super(message);
  }
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`, 400);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container of the last token and the token; undefined when a parent is missing. */
function locate(doc: Json, path: string): { parent: JsonObject | Json[]; key: string } | undefined {
  const tokens = parsePointer(path);
  const key = tokens.pop();
  if (key === undefined) return undefined;
  let node: Json | undefined = doc;
  for (const t of tokens) {
    if (Array.isArray(node)) node = node[Number(t)];
    else if (isObject(node)) node = node[t];
    else return undefined;
  }
  if (Array.isArray(node) || isObject(node)) return { parent: node, key };
  return undefined;
}

function arrayIndex(arr: Json[], key: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw new PatchError(`invalid array index "${key}"`, 422);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length))
    throw new PatchError(`array index ${i} out of bounds`, 422);
  return i;
}

function getAt(doc: Json, path: string): Json | undefined {
  if (path === '') return doc;
  const loc = locate(doc, path);
  if (!loc) return undefined;
  if (Array.isArray(loc.parent)) {
    const i = Number(loc.key);
    return Number.isInteger(i) ? loc.parent[i] : undefined;
  }
  return Object.prototype.hasOwnProperty.call(loc.parent, loc.key) ? loc.parent[loc.key] : undefined;
}

function mustLocate(doc: Json, path: string, op: string) {
  const loc = locate(doc, path);
  if (!loc)
    throw new PatchError(
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
      422,
    );
  return loc;
}

function add(doc: Json, path: string, value: Json): void {
  const { parent, key } = mustLocate(doc, path, 'add');
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
}

function remove(doc: Json, path: string): Json {
  const { parent, key } = mustLocate(doc, path, 'remove');
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false), 1)[0] as Json;
  if (!(key in parent))
    throw new PatchError(`remove operation does not apply: doc is missing key: "${path}"`, 422);
  const old = parent[key] as Json;
  delete parent[key];
  return old;
}

function replace(doc: Json, path: string, value: Json): void {
  const { parent, key } = mustLocate(doc, path, 'replace');
  if (Array.isArray(parent)) parent[arrayIndex(parent, key, false)] = value;
  else if (!(key in parent))
    throw new PatchError(`replace operation does not apply: doc is missing key: "${path}"`, 422);
  else parent[key] = value;
}

function test(doc: Json, path: string, value: Json | undefined): void {
  if (path !== '' && !locate(doc, path))
    throw new PatchError(`testing value "${path}" failed: missing value`, 422);
  const actual = getAt(doc, path);
  // evanphx/json-patch: a missing (or null) member equals a null test value.
  if (actual === undefined || actual === null) {
    if (value === undefined || value === null) return;
    throw new PatchError(`testing value "${path}" failed: test failed`, 422);
  }
  if (!deepEqual(actual, value)) throw new PatchError(`testing value "${path}" failed: test failed`, 422);
}

interface Operation {
  op?: unknown;
  path?: unknown;
  from?: unknown;
  value?: Json;
}

function applyOp(doc: Json, op: Operation): void {
  if (typeof op.path !== 'string') throw new PatchError('operation is missing "path"', 400);
  const path = op.path;
  const from = typeof op.from === 'string' ? op.from : undefined;
  switch (op.op) {
    case 'add':
      return add(doc, path, clone(op.value ?? null));
    case 'remove':
      remove(doc, path);
      return;
    case 'replace':
      return replace(doc, path, clone(op.value ?? null));
    case 'test':
      return test(doc, path, op.value);
    case 'move':
    case 'copy': {
      if (from === undefined) throw new PatchError(`${op.op} operation is missing "from"`, 400);
      const value = op.op === 'move' ? remove(doc, from) : clone(getAt(doc, from));
      if (value === undefined) throw new PatchError(`copy operation does not apply: missing "${from}"`, 422);
      return add(doc, path, value);
    }
    default:
      throw new PatchError(`Unexpected kind: ${String(op.op)}`, 400);
  }
}

export function applyJsonPatch<T extends Json>(doc: T, patch: unknown): T {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be an array of operations', 400);
  const copy = clone(doc);
  for (const op of patch as Operation[]) {
    if (!isObject(op)) throw new PatchError('json patch operation must be an object', 400);
    applyOp(copy, op);
  }
  return copy;
}

export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = applyMergePatch(result[k] ?? null, v);
  }
  return result;
}

// Named lists of the pod spec whose patch strategy is "merge" on `name`.
const MERGE_BY_NAME = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'volumes',
  'env',
  'volumeMounts',
]);

function mergeNamedList(current: Json[], patch: Json[]): Json[] {
  const result = current.map((c) => clone(c));
  for (const item of patch) {
    if (!isObject(item) || typeof item.name !== 'string')
      throw new PatchError('list element needs "name"', 422);
    const at = result.findIndex((c) => isObject(c) && c.name === item.name);
    if (item.$patch === 'delete') {
      if (at >= 0) result.splice(at, 1);
      continue;
    }
    if (at >= 0) result[at] = applyStrategicMerge(result[at] ?? null, item);
    else result.push(applyStrategicMerge(null, item));
  }
  return result;
}

export function applyStrategicMerge(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    const cur = result[k];
    if (v === null) delete result[k];
    else if (MERGE_BY_NAME.has(k) && Array.isArray(v))
      result[k] = mergeNamedList(Array.isArray(cur) ? cur : [], v);
    else result[k] = applyStrategicMerge(cur ?? null, v);
  }
  return result;
}
