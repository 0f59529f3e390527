// The endpoints the app sends credentials to: plain http is for loopback test servers only, and
// LOCAL_DEV_TOKEN only when nothing is remote.
import { endpointProblem, isLoopbackUrl } from '../../core/platform';

/** The settings that name an endpoint (or, for LOCAL_DEV_TOKEN, need every one to be loopback). */
export interface EndpointSettings {
  ARM_ENDPOINT: string;
  ROLLOUT_STORAGE?: string | undefined;
  ROLLOUT_STORAGE__tableServiceUri?: string | undefined;
  ROLLOUT_STORAGE__queueServiceUri?: string | undefined;
  LOCAL_DEV_TOKEN?: string | undefined;
}

function tableEndpointOf(connectionString: string): string | undefined {
  if (/UseDevelopmentStorage=true/i.test(connectionString)) return 'http://127.0.0.1:10002';
  return /TableEndpoint=([^;]+)/i.exec(connectionString)?.[1];
}

/** The endpoints a connection string sends its key to: those it names, else the account's by its protocol. */
function connectionStringEndpoints(connectionString: string): Array<[string, string]> {
  const field = (name: string) =>
    new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, 'i').exec(connectionString)?.[1]?.trim();
  const named = [...connectionString.matchAll(/(?:^|;)\s*(\w+Endpoint)=([^;]+)/gi)].map(
    (m): [string, string] => [`ROLLOUT_STORAGE (${m[1]})`, m[2]!.trim()],
  );
  const account = field('AccountName');
  const protocol = field('DefaultEndpointsProtocol');
  if (named.length > 0 || !account || !protocol) return named;
  const suffix = field('EndpointSuffix') ?? 'core.windows.net';
  return [['ROLLOUT_STORAGE (DefaultEndpointsProtocol)', `${protocol}://${account}.table.${suffix}`]];
}

/** Each endpoint setting that is set, by name (a regional endpoint told for the first region). */
function namedEndpoints(
  s: EndpointSettings,
  registry: { endpoint: string; regionalEndpoint?: string | undefined },
  regionNames: string[],
): Array<[string, string]> {
  const endpoints: Array<[string, string]> = [
    ['ROLLOUT_CONFIG.registry.endpoint', registry.endpoint],
    ['ARM_ENDPOINT', s.ARM_ENDPOINT],
  ];
  if (registry.regionalEndpoint)
    endpoints.push([
      'ROLLOUT_CONFIG.registry.regionalEndpoint',
      registry.regionalEndpoint.replaceAll('{region}', regionNames[0] ?? 'x'),
    ]);
  if (s.ROLLOUT_STORAGE__tableServiceUri)
    endpoints.push(['ROLLOUT_STORAGE__tableServiceUri', s.ROLLOUT_STORAGE__tableServiceUri]);
  if (s.ROLLOUT_STORAGE__queueServiceUri)
    endpoints.push(['ROLLOUT_STORAGE__queueServiceUri', s.ROLLOUT_STORAGE__queueServiceUri]);
  return endpoints;
}

export function checkEndpoints(
  s: EndpointSettings,
  registry: { endpoint: string; regionalEndpoint?: string | undefined },
  regionNames: string[],
  problems: string[],
): void {
  const endpoints = namedEndpoints(s, registry, regionNames);
  const tableEndpoint = s.ROLLOUT_STORAGE ? tableEndpointOf(s.ROLLOUT_STORAGE) : undefined;
  // A connection string's own endpoints too (the account key would travel over them).
  const stringEndpoints = s.ROLLOUT_STORAGE ? connectionStringEndpoints(s.ROLLOUT_STORAGE) : [];
  for (const [name, url] of [...endpoints, ...stringEndpoints]) {
    const problem = endpointProblem(url);
    if (problem) problems.push(`${name}: ${problem} (${url})`);
  }
  if (s.LOCAL_DEV_TOKEN) {
    const remote = endpoints.filter(([, url]) => !isLoopbackUrl(url)).map(([n]) => n);
    if (tableEndpoint && !isLoopbackUrl(tableEndpoint)) remote.push('ROLLOUT_STORAGE');
    if (remote.length > 0)
      problems.push(
        `LOCAL_DEV_TOKEN: allowed only when every Azure endpoint is loopback; not loopback: ${remote.join(', ')}`,
      );
  }
}
