// A small evaluator of the compiled ARM JSON, enough to "deploy" it on paper: given main's
// parameters, it evaluates variables, conditions, copy loops and nested module deployments (each
// with the parameters its parent passes), and returns every resource that would be sent to ARM,
// with concrete names, scopes and properties. It implements the ARM template functions this
// template uses, as documented ("ARM template functions" reference); values that only exist at
// deployment time (reference() of a resource, module outputs) become placeholders such as
// `<ref:core.outputs.identityPrincipalId>` that flow through strings, so a test can still see
// where a value comes from. It is a test tool: a function it does not know throws.
import { createHash } from 'node:crypto';
import type { ArmResource, ArmTemplate } from './arm';

type Value = unknown;

/** A deployment-time value (reference(), a module output): property access extends its path. */
export class Ref {
  constructor(readonly path: string) {}
  get(key: string | number): Ref {
    return new Ref(`${this.path}.${key}`);
  }
  toString(): string {
    return `<ref:${this.path}>`;
  }
}

// ---------------------------------------------------------------- expression parsing
type Node =
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'prop'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

function parse(src: string): Node {
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const expr = (): Node => {
    ws();
    let node: Node;
    const ch = src[i]!;
    if (ch === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      node = { kind: 'str', value: s };
    } else if (/[-0-9]/.test(ch)) {
      const m = /^-?\d+/.exec(src.slice(i))!;
      i += m[0].length;
      node = { kind: 'num', value: Number(m[0]) };
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
      if (!m) throw new Error(`unexpected ${src.slice(i, i + 20)} in ${src}`);
      i += m[0].length;
      ws();
      if (src[i] !== '(') throw new Error(`expected ( after ${m[0]} in ${src}`);
      i++;
      const args: Node[] = [];
      ws();
      if (src[i] === ')') i++;
      else
        for (;;) {
          args.push(expr());
          ws();
          if (src[i] === ',') {
            i++;
            continue;
          }
          if (src[i] === ')') {
            i++;
            break;
          }
          throw new Error(`expected , or ) at ${src.slice(i, i + 20)} in ${src}`);
        }
      node = { kind: 'call', name: m[0], args };
    }
    for (;;) {
      ws();
      if (src[i] === '.') {
        i++;
        const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))!;
        i += m[0].length;
        node = { kind: 'prop', target: node, name: m[0] };
      } else if (src[i] === '[') {
        i++;
        const index = expr();
        ws();
        if (src[i] !== ']') throw new Error(`expected ] in ${src}`);
        i++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const n = expr();
  ws();
  if (i !== src.length) throw new Error(`trailing ${src.slice(i)} in ${src}`);
  return n;
}

const parsed = new Map<string, Node>();
function parseCached(src: string): Node {
  let n = parsed.get(src);
  if (!n) parsed.set(src, (n = parse(src)));
  return n;
}

// ---------------------------------------------------------------- evaluation
export interface Scope {
  subscriptionId: string;
  resourceGroup?: string;
}

interface Context {
  template: ArmTemplate;
  params: Record<string, Value>;
  vars: Map<string, Value>;
  scope: Scope;
  /** Symbolic name -> placeholder path, for reference('symbol'). */
  module: string;
  copyIndex?: Record<string, number>;
  lambdas?: Record<string, Value>;
  /** reference(target): a deployed module's outputs, a given value, or undefined (a placeholder). */
  resolve?: (target: string) => Value;
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const str = (v: Value): string =>
  v instanceof Ref ? v.toString() : typeof v === 'string' ? v : JSON.stringify(v);
const isEmpty = (v: Value) =>
  v === null ||
  v === undefined ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !(v instanceof Ref) && Object.keys(v).length === 0);

function access(target: Value, key: Value): Value {
  if (target instanceof Ref) return target.get(key as string);
  if (target === null || target === undefined)
    throw new Error(`property ${String(key)} of ${String(target)}`);
  if (Array.isArray(target)) {
    const idx = Number(key);
    if (idx < 0 || idx >= target.length) throw new Error(`index ${idx} out of range (${target.length})`);
    return target[idx];
  }
  const obj = target as Record<string, Value>;
  const found = Object.keys(obj).find((k) => k.toLowerCase() === String(key).toLowerCase());
  if (found === undefined)
    throw new Error(`no property ${String(key)} in ${JSON.stringify(obj).slice(0, 200)}`);
  return obj[found];
}

function resourceIdOf(scope: Scope, type: string, names: string[]): string {
  const [ns, ...types] = type.split('/');
  const segs = types.map((t, k) => `${t}/${names[k]}`).join('/');
  const rg = scope.resourceGroup ? `/resourceGroups/${scope.resourceGroup}` : '';
  return `/subscriptions/${scope.subscriptionId}${rg}/providers/${ns}/${segs}`;
}

function evalNode(n: Node, c: Context): Value {
  switch (n.kind) {
    case 'str':
    case 'num':
      return n.value;
    case 'prop':
      return access(evalNode(n.target, c), n.name);
    case 'index':
      return access(evalNode(n.target, c), evalNode(n.index, c));
    case 'call':
      return call(n, c);
  }
}

function call(n: { name: string; args: Node[] }, c: Context): Value {
  const a = (k: number) => evalNode(n.args[k]!, c);
  const all = () => n.args.map((x) => evalNode(x, c));
  const name = n.name.toLowerCase();
  switch (name) {
    case 'parameters': {
      const key = a(0) as string;
      if (!(key in c.params)) throw new Error(`parameter ${key} has no value`);
      return c.params[key];
    }
    case 'variables':
      return variable(a(0) as string, c);
    case 'lambdavariables': {
      const key = a(0) as string;
      if (!c.lambdas || !(key in c.lambdas)) throw new Error(`no lambda variable ${key}`);
      return c.lambdas[key];
    }
    case 'if':
      return a(0) ? a(1) : a(2);
    case 'not':
      return !a(0);
    case 'and':
      return all().every(Boolean);
    case 'or':
      return all().some(Boolean);
    case 'equals':
      return JSON.stringify(a(0)) === JSON.stringify(a(1));
    case 'add':
      return (a(0) as number) + (a(1) as number);
    case 'sub':
      return (a(0) as number) - (a(1) as number);
    case 'greater':
      return (a(0) as number) > (a(1) as number);
    case 'empty':
      return isEmpty(a(0));
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'length': {
      const v = a(0);
      return Array.isArray(v) || typeof v === 'string' ? v.length : Object.keys(v as object).length;
    }
    case 'format': {
      const [f, ...args] = all();
      return (f as string).replace(/\{\{|\}\}|\{(\d+)\}/g, (m, k?: string) =>
        m === '{{' ? '{' : m === '}}' ? '}' : str(args[Number(k)]),
      );
    }
    case 'concat': {
      const args = all();
      return Array.isArray(args[0]) ? args.flatMap((x) => x as Value[]) : args.map(str).join('');
    }
    case 'createarray':
      return all();
    case 'createobject': {
      const args = all();
      const o: Record<string, Value> = {};
      for (let k = 0; k < args.length; k += 2) o[args[k] as string] = args[k + 1];
      return o;
    }
    case 'union': {
      const args = all();
      if (Array.isArray(args[0])) {
        const out: Value[] = [];
        for (const arr of args as Value[][])
          for (const v of arr) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
        return out;
      }
      return Object.assign({}, ...(args as object[]));
    }
    case 'contains': {
      const [container, item] = [a(0), a(1)];
      if (typeof container === 'string') return container.includes(item as string);
      if (Array.isArray(container)) return container.some((x) => JSON.stringify(x) === JSON.stringify(item));
      return Object.keys(container as object).includes(item as string);
    }
    case 'split':
      return (a(0) as string).split(a(1) as string);
    case 'join':
      return (a(0) as Value[]).map(str).join(a(1) as string);
    case 'trim':
      return (a(0) as string).trim();
    case 'tolower':
      return str(a(0)).toLowerCase();
    case 'take': {
      const v = a(0);
      const k = Math.max(0, a(1) as number);
      return typeof v === 'string' ? v.slice(0, k) : (v as Value[]).slice(0, k);
    }
    case 'endswith':
      return str(a(0)).endsWith(a(1) as string);
    case 'replace':
      return str(a(0))
        .split(a(1) as string)
        .join(a(2) as string);
    case 'string':
      return str(a(0));
    case 'json': {
      const s = a(0);
      if (s instanceof Ref) return s;
      return JSON.parse(s as string) as Value;
    }
    case 'coalesce':
      return all().find((v) => v !== null && v !== undefined) ?? null;
    case 'tryget': {
      const [target, key] = [a(0), a(1)];
      if (target instanceof Ref) return target.get(key as string);
      if (target === null || target === undefined) return null;
      if (Array.isArray(target)) return target[key as number] ?? null;
      const obj = target as Record<string, Value>;
      const found = Object.keys(obj).find((k) => k.toLowerCase() === String(key).toLowerCase());
      return found === undefined ? null : obj[found];
    }
    case 'items':
      return Object.entries(a(0) as object).map(([key, value]) => ({ key, value }));
    case 'flatten':
      return (a(0) as Value[][]).flat();
    case 'lambda':
      return { lambda: n.args.slice(0, -1).map((x) => evalNode(x, c) as string), body: n.args.at(-1)!, c };
    case 'map':
    case 'filter': {
      const arr = a(0) as Value[];
      const fn = a(1) as { lambda: string[]; body: Node; c: Context };
      const apply = (v: Value, i: number) =>
        evalNode(fn.body, {
          ...fn.c,
          lambdas: { ...fn.c.lambdas, [fn.lambda[0]!]: v, ...(fn.lambda[1] ? { [fn.lambda[1]]: i } : {}) },
        });
      return name === 'map' ? arr.map(apply) : arr.filter((v, i) => apply(v, i));
    }
    case 'copyindex': {
      const loop = n.args.length > 0 && typeof evalNode(n.args[0]!, c) === 'string' ? (a(0) as string) : '';
      const v = c.copyIndex?.[loop] ?? c.copyIndex?.[''];
      if (v === undefined) throw new Error('copyIndex() outside a loop');
      return v;
    }
    case 'uniquestring':
      return hex(all().map(str).join('|'))
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 13);
    case 'guid': {
      const h = hex(all().map(str).join('|'));
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    }
    case 'subscription':
      return {
        subscriptionId: c.scope.subscriptionId,
        id: `/subscriptions/${c.scope.subscriptionId}`,
        tenantId: 'tenant-id',
      };
    case 'tenant':
      return { tenantId: 'tenant-id' };
    case 'resourcegroup':
      if (!c.scope.resourceGroup) throw new Error('resourceGroup() at subscription scope');
      return {
        name: c.scope.resourceGroup,
        id: `/subscriptions/${c.scope.subscriptionId}/resourceGroups/${c.scope.resourceGroup}`,
        location: 'rg-location',
      };
    case 'environment':
      return {
        resourceManager: 'https://management.azure.com/',
        authentication: { loginEndpoint: 'https://login.microsoftonline.com/' },
      };
    case 'deployment':
      return { name: 'deployment' };
    case 'resourceid': {
      const args = all().map(str);
      const typeAt = args.findIndex((x) => x.includes('/') && /^[A-Za-z]+\.[A-Za-z]+\//.test(x));
      const pre = args.slice(0, typeAt);
      const scope: Scope =
        pre.length === 2
          ? { subscriptionId: pre[0]!, resourceGroup: pre[1]! }
          : pre.length === 1
            ? { subscriptionId: c.scope.subscriptionId, resourceGroup: pre[0]! }
            : c.scope;
      return resourceIdOf(scope, args[typeAt]!, args.slice(typeAt + 1));
    }
    case 'subscriptionresourceid': {
      const args = all().map(str);
      return resourceIdOf({ subscriptionId: c.scope.subscriptionId }, args[0]!, args.slice(1));
    }
    case 'reference': {
      const target = str(a(0));
      const known = c.resolve?.(target);
      return known !== undefined ? known : new Ref(`${c.module ? `${c.module}/` : ''}${target}`);
    }
    default: {
      if (name.startsWith('__bicep.')) return userFunction(n.name.slice('__bicep.'.length), all(), c);
      throw new Error(`ARM function ${n.name} is not implemented in the test evaluator`);
    }
  }
}

function userFunction(name: string, args: Value[], c: Context): Value {
  const fns = (c.template.functions ?? []) as Array<{
    namespace: string;
    members: Record<string, { parameters: Array<{ name: string }>; output: { value: string } }>;
  }>;
  const fn = fns.find((f) => f.namespace === '__bicep')?.members[name];
  if (!fn) throw new Error(`no user function ${name}`);
  const params = Object.fromEntries(fn.parameters.map((p, k) => [p.name, args[k]]));
  return evaluate(fn.output.value, { ...c, params, vars: new Map(), lambdas: {} });
}

function variable(name: string, c: Context): Value {
  if (c.vars.has(name)) return c.vars.get(name);
  const vars = c.template.variables ?? {};
  let v: Value;
  const loops = (vars.copy as Array<{ name: string; count: string; input: Value }> | undefined) ?? [];
  const loop = loops.find((l) => l.name === name);
  if (loop) {
    const count = evaluate(loop.count, c) as number;
    v = Array.from({ length: count }, (_, i) =>
      evaluate(loop.input, { ...c, copyIndex: { ...c.copyIndex, [name]: i } }),
    );
  } else {
    if (!(name in vars)) throw new Error(`no variable ${name}`);
    v = evaluate(vars[name], { ...c, copyIndex: undefined, lambdas: {} });
  }
  c.vars.set(name, v);
  return v;
}

/** Evaluate a template value: strings `[...]` are expressions (`[[` is a literal `[`), objects and arrays recursively, with property-level `copy` loops. */
export function evaluate(v: Value, c: Context): Value {
  if (typeof v === 'string') {
    if (v.startsWith('[[')) return v.slice(1);
    if (v.startsWith('[') && v.endsWith(']')) return evalNode(parseCached(v.slice(1, -1)), c);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => evaluate(x, c));
  if (v && typeof v === 'object') {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'copy' && Array.isArray(x)) {
        for (const loop of x as Array<{ name: string; count: string; input: Value }>) {
          const count = evaluate(loop.count, c) as number;
          out[loop.name] = Array.from({ length: count }, (_, i) =>
            evaluate(loop.input, { ...c, copyIndex: { ...c.copyIndex, [loop.name]: i } }),
          );
        }
        continue;
      }
      out[k] = evaluate(x, c);
    }
    return out;
  }
  return v;
}

// ---------------------------------------------------------------- "deploying" the template
export interface Deployed {
  /** Module path from main (`` for main itself), e.g. `apiClusterRoles[1]`. */
  module: string;
  symbol: string;
  index?: number;
  type: string;
  apiVersion: string;
  name: string;
  /** Full resource id as ARM would address it. */
  id: string;
  /** The resource an extension resource (role assignment) is scoped to, as a full id. */
  scope?: string;
  existing: boolean;
  at: Scope;
  properties: Record<string, Value>;
  raw: Record<string, Value>;
}

export interface Deployment {
  resources: Deployed[];
  /** Main's outputs (placeholders where they depend on deployment-time values). */
  outputs: Record<string, Value>;
  /** Evaluated parameters of each module deployment, by module path. */
  moduleParams: Record<string, Record<string, Value>>;
}

function paramValues(
  t: ArmTemplate,
  given: Record<string, Value>,
  c: Omit<Context, 'params' | 'vars'>,
): Record<string, Value> {
  const params: Record<string, Value> = {};
  const ctx: Context = { ...c, params, vars: new Map() };
  for (const [name, def] of Object.entries(t.parameters ?? {})) {
    if (name in given) params[name] = given[name];
    else if ('defaultValue' in def) params[name] = evaluate(def.defaultValue, ctx);
    else throw new Error(`${c.module || 'main'}: required parameter ${name} not given`);
    const v = params[name];
    if (typeof v === 'string' && def.minLength !== undefined && v.length < def.minLength)
      throw new Error(
        `${c.module || 'main'}: parameter ${name} is shorter than ${def.minLength}: ${JSON.stringify(v)}`,
      );
    if (Array.isArray(v) && def.minLength !== undefined && v.length < def.minLength)
      throw new Error(`${c.module || 'main'}: parameter ${name} has fewer than ${def.minLength} items`);
    if (def.allowedValues && !def.allowedValues.some((x) => JSON.stringify(x) === JSON.stringify(v)))
      throw new Error(`${c.module || 'main'}: parameter ${name} value ${JSON.stringify(v)} is not allowed`);
    if (
      typeof v === 'number' &&
      ((def.minValue !== undefined && v < def.minValue) || (def.maxValue !== undefined && v > def.maxValue))
    )
      throw new Error(`${c.module || 'main'}: parameter ${name} value ${v} is out of range`);
    // Array items of a user-defined type with a minimum length (never an empty name).
    const ref = def.items?.$ref?.replace('#/definitions/', '');
    const itemMin = ref ? t.definitions?.[ref]?.minLength : def.items?.minLength;
    if (Array.isArray(v) && itemMin !== undefined)
      for (const item of v)
        if (typeof item === 'string' && item.length < itemMin)
          throw new Error(
            `${c.module || 'main'}: an item of ${name} is shorter than ${itemMin}: ${JSON.stringify(item)}`,
          );
  }
  return params;
}

function deployTemplate(
  t: ArmTemplate,
  given: Record<string, Value>,
  at: Scope,
  module: string,
  out: Deployment,
  known: Record<string, Value>,
): Record<string, Value> {
  const params = paramValues(t, given, { template: t, scope: at, module });
  out.moduleParams[module] = params;
  const entries: Array<[string, ArmResource]> = Array.isArray(t.resources)
    ? t.resources.map((r, i) => [String(i), r])
    : Object.entries(t.resources);
  const bySymbol = new Map(entries);
  // Module outputs by symbol (`name` or `name[i]`), deployed on first use: reference('core') in a
  // later module's parameters is the outputs of core as this evaluation computed them.
  const moduleOutputs = new Map<string, Record<string, Value>>();
  const pathOf = (symbol: string, i?: number) =>
    `${module ? `${module}/` : ''}${symbol}${i === undefined ? '' : `[${i}]`}`;
  const resolve = (target: string): Value => {
    if (pathOf(target) in known) return known[pathOf(target)];
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$/.exec(target);
    const r = m && bySymbol.get(m[1]!);
    if (!r || r.type !== 'Microsoft.Resources/deployments') return undefined;
    const key = target;
    if (!moduleOutputs.has(key)) run(m[1]!, r, m[2] === undefined ? undefined : Number(m[2]));
    const o = moduleOutputs.get(key);
    return o && { outputs: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { value: v }])) };
  };
  const base: Context = { template: t, params, vars: new Map(), scope: at, module, resolve };
  const done = new Set<string>();

  function run(symbol: string, r: ArmResource, only?: number): void {
    const count = r.copy ? (evaluate(r.copy.count, base) as number) : undefined;
    const runs = count === undefined ? [undefined] : Array.from({ length: count }, (_, i) => i);
    for (const i of runs) {
      if (only !== undefined && i !== only) continue;
      const key = i === undefined ? symbol : `${symbol}[${i}]`;
      if (done.has(key)) continue;
      done.add(key);
      const c: Context = i === undefined ? base : { ...base, copyIndex: { [r.copy!.name]: i, '': i } };
      if (r.condition !== undefined && !evaluate(r.condition, c)) continue;
      const name = str(evaluate(r.name, c));
      const raw = r as unknown as Record<string, Value>;
      if (r.type === 'Microsoft.Resources/deployments') {
        const sub = r.subscriptionId !== undefined ? str(evaluate(r.subscriptionId, c)) : at.subscriptionId;
        const rg =
          r.resourceGroup !== undefined
            ? str(evaluate(r.resourceGroup, c))
            : r.subscriptionId !== undefined
              ? undefined
              : at.resourceGroup;
        const givenToModule: Record<string, Value> = {};
        for (const [k, pv] of Object.entries(r.properties?.parameters ?? {})) {
          givenToModule[k] = (evaluate(pv, c) as { value: Value }).value;
        }
        const outputs = deployTemplate(
          r.properties!.template!,
          givenToModule,
          { subscriptionId: sub, ...(rg ? { resourceGroup: rg } : {}) },
          pathOf(symbol, i),
          out,
          known,
        );
        moduleOutputs.set(key, outputs);
        continue;
      }
      const scope = r.scope !== undefined ? str(evaluate(r.scope, c)) : undefined;
      // An existing resource of another group (Bicep's `scope: resourceGroup(...)`).
      const here: Scope =
        r.resourceGroup !== undefined
          ? {
              subscriptionId:
                r.subscriptionId !== undefined ? str(evaluate(r.subscriptionId, c)) : at.subscriptionId,
              resourceGroup: str(evaluate(r.resourceGroup, c)),
            }
          : at;
      const id =
        r.type === 'Microsoft.Resources/resourceGroups'
          ? `/subscriptions/${at.subscriptionId}/resourceGroups/${name}`
          : scope !== undefined
            ? `${scope}/providers/${r.type}/${name}`
            : resourceIdOf(here, r.type, name.split('/'));
      out.resources.push({
        module,
        symbol,
        ...(i === undefined ? {} : { index: i }),
        type: r.type,
        apiVersion: r.apiVersion,
        name,
        id,
        ...(scope === undefined ? {} : { scope }),
        existing: r.existing === true,
        at: here,
        properties: (r.properties ? evaluate(r.properties, c) : {}) as Record<string, Value>,
        raw,
      });
    }
  }

  for (const [symbol, r] of entries) run(symbol, r);
  return Object.fromEntries(
    Object.entries(t.outputs ?? {}).map(([k, o]) => {
      try {
        const loop = (o as { copy?: { count: string; input: Value } }).copy;
        if (loop) {
          const n = evaluate(loop.count, base) as number;
          return [
            k,
            Array.from({ length: n }, (_, i) => evaluate(loop.input, { ...base, copyIndex: { '': i } })),
          ];
        }
        return [k, evaluate(o.value, base)];
      } catch (err) {
        return [k, `<error: ${(err as Error).message}>`];
      }
    }),
  );
}

/** Evaluate main with these parameters (at subscription scope). Throws on what ARM would refuse. */
export function deploy(
  t: ArmTemplate,
  parameters: Record<string, Value>,
  opts: {
    subscriptionId?: string;
    /** Values of reference() targets by module path, e.g. `apiClusterResources[0]` (an existing cluster). */
    known?: Record<string, Value>;
  } = {},
): Deployment {
  const out: Deployment = { resources: [], outputs: {}, moduleParams: {} };
  const subscriptionId = opts.subscriptionId ?? '00000000-0000-0000-0000-00000000a000';
  out.outputs = deployTemplate(t, parameters, { subscriptionId }, '', out, opts.known ?? {});
  return out;
}
