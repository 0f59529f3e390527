// The infra as ARM JSON, compiled by the real Bicep CLI (dev/bicep.sh) once per content: the
// result is cached in the OS temp folder under a hash of every file under infra/ and the compiler
// version, so the test files that read it (in parallel workers, in later runs) compile it once.
// Helpers walk the compiled template: nested module deployments, their resources, parameters and
// the expressions that reach them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deploy as evaluateDeployment, type Deployed, type Deployment } from './arm-eval';

export const ROOT = resolve(__dirname, '..', '..');
export const INFRA = join(ROOT, 'infra');

export interface ArmParameter {
  type: string;
  defaultValue?: unknown;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  allowedValues?: unknown[];
  items?: { $ref?: string; type?: string; minLength?: number };
  metadata?: Record<string, unknown>;
}

export interface ArmResource {
  type: string;
  apiVersion: string;
  name?: string;
  scope?: string;
  condition?: unknown;
  existing?: boolean;
  copy?: { name: string; count: string };
  location?: unknown;
  kind?: unknown;
  sku?: Record<string, unknown>;
  identity?: Record<string, unknown>;
  tags?: unknown;
  subscriptionId?: string;
  resourceGroup?: string;
  properties?: Record<string, unknown> & {
    template?: ArmTemplate;
    parameters?: Record<string, { value: unknown }>;
  };
  dependsOn?: string[];
}

export interface ArmTemplate {
  $schema: string;
  languageVersion?: string;
  parameters?: Record<string, ArmParameter>;
  variables?: Record<string, unknown>;
  definitions?: Record<string, { type: string; minLength?: number }>;
  functions?: unknown[];
  resources: Record<string, ArmResource> | ArmResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
}

export interface Compiled {
  template: ArmTemplate;
  /** Every diagnostic line the compiler printed (errors, warnings, infos). */
  diagnostics: string[];
  compiler: string;
}

function infraFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? infraFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function bicep(args: string[]): { stdout: string; stderr: string } {
  try {
    const stdout = execFileSync('bash', [join(ROOT, 'dev', 'bicep.sh'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr: '' };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`bicep ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
  }
}

let cached: Compiled | undefined;

/** infra/main.bicep compiled to ARM JSON (cached by content; compiles at most once per change). */
export function compiled(): Compiled {
  if (cached) return cached;
  const compiler = bicep(['--version']).stdout.trim();
  const hash = createHash('sha256').update(compiler);
  for (const f of infraFiles()) hash.update(f).update(readFileSync(f));
  const dir = join(tmpdir(), 'acr-geo-rollout-arm');
  const file = join(dir, `${hash.digest('hex').slice(0, 24)}.json`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const out = `${file}.${process.pid}.tmp`;
    // Diagnostics go to stderr, and bicep exits 0 on warnings: keep them with the output.
    const run = spawnSync(
      'bash',
      [join(ROOT, 'dev', 'bicep.sh'), 'build', join(INFRA, 'main.bicep'), '--no-restore', '--outfile', out],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`infra/main.bicep does not compile: ${run.stderr}${run.stdout}`);
    const diagnostics = `${run.stderr}\n${run.stdout}`
      .split('\n')
      .filter((l) => /\) : (Error|Warning|Info) /.test(l));
    const template = JSON.parse(readFileSync(out, 'utf8')) as ArmTemplate;
    writeFileSync(`${out}.full`, JSON.stringify({ template, diagnostics, compiler }));
    renameSync(`${out}.full`, file);
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as Compiled;
  return cached;
}

export function template(): ArmTemplate {
  return compiled().template;
}

export interface Located extends ArmResource {
  /** Symbolic name in its template. */
  symbol: string;
  /** Module path from main, e.g. `appRoles` or `` for main itself. */
  module: string;
  /** The template that declares it. */
  in: ArmTemplate;
}

export function resourcesOf(t: ArmTemplate): Array<ArmResource & { symbol: string }> {
  return Array.isArray(t.resources)
    ? t.resources.map((r, i) => ({ ...r, symbol: r.name ?? String(i) }))
    : Object.entries(t.resources).map(([symbol, r]) => ({ ...r, symbol }));
}

/** Every resource of main and of every nested module deployment, with where it is. */
export function allResources(t: ArmTemplate = template(), module = ''): Located[] {
  return resourcesOf(t).flatMap((r) => {
    const self: Located = { ...r, module, in: t };
    const nested = r.type === 'Microsoft.Resources/deployments' ? r.properties?.template : undefined;
    return nested ? [self, ...allResources(nested, module ? `${module}/${r.symbol}` : r.symbol)] : [self];
  });
}

/** The module deployment `symbol` of main (its resource, with params and template). */
export function moduleOf(
  symbol: string,
  t: ArmTemplate = template(),
): ArmResource & { template: ArmTemplate } {
  const r = resourcesOf(t).find((x) => x.symbol === symbol && x.type === 'Microsoft.Resources/deployments');
  if (!r?.properties?.template) throw new Error(`no module ${symbol}`);
  return { ...r, template: r.properties.template };
}

/** The value main passes to module `symbol` for parameter `param`. */
export function moduleParam(symbol: string, param: string): unknown {
  const p = moduleOf(symbol).properties?.parameters?.[param];
  if (!p) throw new Error(`module ${symbol} gets no parameter ${param}`);
  return p.value;
}

export function resourceIn(t: ArmTemplate, symbol: string): ArmResource {
  const r = resourcesOf(t).find((x) => x.symbol === symbol);
  if (!r) throw new Error(`no resource ${symbol}`);
  return r;
}

export function ofType(type: string, t: ArmTemplate = template()): Located[] {
  return allResources(t).filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

/** Names referenced as parameters('x') in an ARM expression. */
export function parameterRefs(expression: unknown): string[] {
  return [...JSON.stringify(expression ?? '').matchAll(/parameters\('([^']+)'\)/g)].map((m) => m[1]!);
}

/** Built-in role definition GUIDs in an expression (the ids in variables, resolved). */
export function guidsIn(text: string): string[] {
  return [...text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)].map((m) =>
    m[0].toLowerCase(),
  );
}

/** Resolve variables('x') in an expression string against a template (one level at a time). */
export function resolveVariables(expression: string, t: ArmTemplate): string {
  let out = expression;
  for (let i = 0; i < 5; i++) {
    const next = out.replace(/variables\('([^']+)'\)/g, (_, name: string) => {
      const v = t.variables?.[name];
      return typeof v === 'string' ? (v.startsWith('[') ? v.slice(1, -1) : `'${v}'`) : JSON.stringify(v);
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * azd's substitution of main.parameters.json: drone/envsubst over the raw text (no JSON escaping),
 * then a JSON parse. Supported here as envsubst implements them: ${VAR}, ${VAR=default} (applies
 * when the value is empty, like azd's lookup of an unset variable), ${VAR//pattern/replacement}
 * (literal replace-all; in its arguments `\\` is `\` and `\/` is `/`). Unset variables are "".
 */
export function azdSubstitute(text: string, env: Record<string, string>): string {
  const unescape = (s: string) => s.replace(/\\([\\/])/g, '$1');
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(=)((?:[^}])*)|\/\/((?:\\.|[^/])*)\/((?:\\.|[^}])*))?\}/g,
    (_m, name: string, eq?: string, dflt?: string, pattern?: string, replacement?: string) => {
      const value = env[name] ?? '';
      if (eq) return value === '' ? (dflt ?? '') : value;
      if (pattern !== undefined) return value.split(unescape(pattern)).join(unescape(replacement ?? ''));
      return value;
    },
  );
}

// ---------------------------------------------------------------- scenarios ("deploy" on paper)

export const SUB_APP = '00000000-0000-0000-0000-00000000a000';
export const SUB_ACR = '11111111-1111-1111-1111-111111111111';
export const SUB_AKS = '22222222-2222-2222-2222-222222222222';
const cluster = (rg: string, name: string) =>
  `/subscriptions/${SUB_AKS}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

/**
 * Four regions, one per way a cluster is reached: eastus (Kubernetes API, Entra ID cluster),
 * westeurope (Kubernetes API, local accounts only, allowLocalAccounts off), southeastasia (Run
 * Command, Azure RBAC), centralus (Run Command, Kubernetes RBAC). Two workloads: `shop/web`
 * everywhere, `batch/worker` in eastus and southeastasia only.
 */
export const SCENARIO_CONFIG = {
  registry: { loginServer: 'myregistry.azurecr.io', homeRegion: 'eastus' },
  regions: [
    { name: 'eastus', cluster: cluster('rg-aks-eus', 'aks-eus') },
    { name: 'westeurope', cluster: cluster('rg-aks-weu', 'aks-weu'), access: 'kubernetes-api' },
    { name: 'southeastasia', cluster: cluster('rg-aks-sea', 'aks-sea'), access: 'run-command' },
    { name: 'centralus', cluster: cluster('rg-aks-cus', 'aks-cus'), access: 'run-command' },
  ],
  workloads: [
    {
      repository: 'shop/web',
      tags: ['*'],
      namespace: 'shop',
      kind: 'Deployment',
      name: 'web',
      container: 'web',
    },
    {
      repository: 'shop/worker',
      tags: ['*'],
      namespace: 'batch',
      kind: 'StatefulSet',
      name: 'worker',
      container: 'worker',
      regions: ['eastus', 'southeastasia'],
    },
  ],
};

export const REGISTRY_ID = `/subscriptions/${SUB_ACR}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/myregistry`;

/** Main's parameters for the scenario (what azd passes), with overrides. */
export function scenarioParameters(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    environmentName: 'prod',
    location: 'eastus',
    rolloutConfig: JSON.stringify(SCENARIO_CONFIG),
    registryResourceId: REGISTRY_ID,
    webhookSecret: 'S'.repeat(48),
    azureRbacRegions: 'southeastasia',
    ...overrides,
  };
}

/** Deploy the compiled template on paper; eastus's cluster has managed Entra ID, westeurope's not. */
export function scenario(overrides: Record<string, unknown> = {}): Deployment {
  return evaluateDeployment(template(), scenarioParameters(overrides), {
    subscriptionId: SUB_APP,
    known: {
      'apiClusterResources[0]': { aadProfile: { managed: true, enableAzureRBAC: true } },
      'apiClusterResources[1]': { disableLocalAccounts: false },
    },
  });
}

export type { Deployed, Deployment };
