// `npm run dev:stack`: the whole product on this machine to play with by hand, until Ctrl-C: the
// local host serving the functions with the timer, the simulated geo-replicated ACR (eastus home,
// westeurope and southeastasia replicas) and the simulated AKS clusters, on an in-memory Azurite.
// Ports: PORT (7071), ACR_PORT (5050), AKS_PORT (5060), AZURITE_PORT (any free one); 0 = any free.
import { isListening } from './azurite';
import { DEFAULT_MEDIA_TYPE } from './acr-simulator/replication';
import { pushPayload } from './acr-simulator/webhooks';
import { LocalSetupError, portSetting } from './local-storage';
import { runUntilSignalled } from './process-main';
import { STACK_SECRET, startStack, type Stack, type StackOptions } from './stack';

const PORTS = [
  { name: 'PORT', fallback: 7071, what: 'the local host (the functions)' },
  { name: 'ACR_PORT', fallback: 5050, what: 'the simulated ACR' },
  { name: 'AKS_PORT', fallback: 5060, what: 'the simulated ARM/AKS' },
  { name: 'AZURITE_PORT', fallback: 0, what: 'Azurite (Table Storage)' },
] as const;
type PortName = (typeof PORTS)[number]['name'];

/** Every port problem at once: not a number, twice the same, or already in use. */
export async function stackPorts(env: Record<string, string | undefined>): Promise<Record<PortName, number>> {
  const problems: string[] = [];
  const ports = {} as Record<PortName, number>;
  for (const p of PORTS) ports[p.name] = portSetting(p.name, env[p.name], problems) ?? p.fallback;
  for (const p of PORTS) {
    const port = ports[p.name];
    if (port === 0) continue;
    const twin = PORTS.find((q) => q.name !== p.name && ports[q.name] === port);
    if (twin && PORTS.indexOf(twin) < PORTS.indexOf(p))
      problems.push(`${p.name}=${port}: ${twin.name} has the same port; set one of them to another port`);
    else if (await isListening(port))
      problems.push(
        `${p.name}=${port}: the port is in use (wanted for ${p.what}); set ${p.name} to a free port (0 = any free one)`,
      );
  }
  if (problems.length > 0) throw new LocalSetupError(problems);
  return ports;
}

/** Shell fragments the by-hand webhook is printed with, so each paste sends a fresh one. */
const FRESH = {
  id: '$(cat /proc/sys/kernel/random/uuid)',
  requestId: '$(cat /proc/sys/kernel/random/uuid)',
  // ACR's own timestamp format: seven fractional digits, UTC.
  timestamp: '$(date -u +%Y-%m-%dT%H:%M:%S.%7NZ)',
  digest: '$DIGEST',
};

/** `-d '<json>'` with FRESH's placeholders spliced in as shell substitutions (each in double quotes). */
function shellJson(value: unknown): string {
  let text = JSON.stringify(value);
  for (const [key, fragment] of Object.entries(FRESH)) text = text.replace(`"@${key}@"`, `"'"${fragment}"'"`);
  return `'${text}'`;
}

/**
 * What to paste, in the order that works: a push into the simulated ACR (which sends its own
 * webhooks), or by hand: the push without its webhooks first, then ACR's push webhook for that
 * digest (a fresh event id and time on every paste, so a second paste is a new push, not a duplicate).
 */
export function instructions(stack: Stack): string {
  const push = { repository: 'my-app', tag: '1.0.0' };
  const record = {
    id: '@id@',
    repository: push.repository,
    tag: push.tag,
    digest: '@digest@',
    mediaType: DEFAULT_MEDIA_TYPE,
    size: 524,
    receivingRegion: stack.home,
    pushedAt: '',
    regions: {},
  };
  const payload = pushPayload(record, new Date(), stack.acr.loginServer);
  const webhook = {
    ...payload,
    id: '@id@',
    timestamp: '@timestamp@',
    request: { ...payload.request, id: '@requestId@' },
  };
  const replicas = stack.regions.filter((r) => r !== stack.home).join(', ');
  const pushUrl = `${stack.acr.url}/_control/push`;
  const json = "-H 'content-type: application/json'";
  const noKubectl =
    stack.withoutKubectl.length > 0
      ? `\n  kubectl         none on PATH: ${stack.withoutKubectl.join(', ')} (Run Command) runs its scripts through the AKS simulator's own executor`
      : '';
  return `
dev-stack: running (Ctrl-C stops everything)
  functions       ${stack.host.url}/api   (PORT)
  simulated ACR   ${stack.acr.url}   (ACR_PORT; home ${stack.home}, replicas ${replicas})
  simulated AKS   ${stack.aks.url}   (AKS_PORT)
  Azurite         http://127.0.0.1:${stack.azurite.port}   (AZURITE_PORT)
  webhook secret  ${STACK_SECRET}   (webhooks send Authorization: Bearer <secret>)${noKubectl}

Roll out a release: push an image (every paste pushes ${push.repository}:${push.tag} with a new digest; the
simulated ACR replicates it and sends one webhook per region, as ACR does):
  curl -s -X POST ${pushUrl} ${json} -d '${JSON.stringify(push)}'

Or play ACR's webhook yourself, in this order (paste both lines together; every paste is a new push):
  1. the image into the registry, its webhooks held back ("webhooks": false), keeping its digest;
  2. ACR's push webhook for that digest, as the ${stack.home} webhook would send it (answers 202 "recorded").
  DIGEST=$(curl -s -X POST ${pushUrl} ${json} -d '${JSON.stringify({ ...push, webhooks: false })}' | sed -E 's/.*"digest":"(sha256:[0-9a-f]{64})".*/\\1/')
  curl -s -X POST ${stack.host.url}/api/acr/events/${stack.home} -H 'Authorization: Bearer ${STACK_SECRET}' ${json} -d ${shellJson(webhook)}
  (The other regions then see the digest through their regional manifest checks, not a webhook.)

Make a rollout fail, then retry it: docs/operating.md, "Trying a failure, then a retry".

Watch it:
  status page: ${stack.host.url}/api/dashboard   (open it in a browser)
  curl -s ${stack.host.url}/api/releases       (releases and their region rollouts)
  curl -s ${stack.host.url}/api/ledger         (which digest runs where)
  curl -s ${stack.aks.url}/_control/state      (what the simulated clusters run)
`;
}

/** The stack `npm run dev:stack` runs (tests start the same one in process, `over` for their speed). */
export function devStackOptions(
  ports: Record<PortName, number>,
  over: Partial<StackOptions> = {},
): StackOptions {
  return {
    hostPort: ports.PORT,
    acrPort: ports.ACR_PORT,
    aksPort: ports.AKS_PORT,
    azuritePort: ports.AZURITE_PORT,
    delays: { westeurope: 3000, southeastasia: 8000 },
    // Kubernetes API simulators behind every cluster; southeastasia goes through Run Command.
    kubernetes: true,
    access: { southeastasia: 'run-command' },
    reconcileEverySeconds: 5,
    logRequests: true,
    log: (level, message) => (level === 'error' ? console.error(message) : console.log(message)),
    ...over,
  };
}

if (require.main === module) {
  runUntilSignalled('dev-stack', async () => {
    const ports = await stackPorts(process.env);
    const stack = await startStack(devStackOptions(ports));
    console.log(instructions(stack));
    return stack;
  });
}
