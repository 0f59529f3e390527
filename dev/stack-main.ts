// `npm run dev:stack`: the whole product on this machine to play with by hand, until Ctrl-C: the
// local host serving the functions with the timer, the simulated geo-replicated ACR (eastus home,
// westeurope and southeastasia replicas) and the simulated AKS clusters, on an in-memory Azurite.
// Ports: PORT (7071), ACR_PORT (5050), AKS_PORT (5060), AZURITE_PORT (any free one); 0 = any free.
import { createHash } from 'node:crypto';
import { isListening } from './azurite';
import { DEFAULT_MEDIA_TYPE } from './acr-simulator/replication';
import { pushPayload } from './acr-simulator/webhooks';
import { LocalSetupError, portSetting } from './local-storage';
import { runUntilSignalled } from './process-main';
import { STACK_SECRET, startStack, type Stack } from './stack';

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

export const SAMPLE_DIGEST = `sha256:${createHash('sha256').update('dev-stack my-app 1.0.0').digest('hex')}`;

/** What to paste: a push into the simulated ACR, and ACR's own push webhook for the same image. */
export function instructions(stack: Stack): string {
  const image = { repository: 'my-app', tag: '1.0.0', digest: SAMPLE_DIGEST };
  const webhook = pushPayload(
    {
      ...image,
      id: '',
      mediaType: DEFAULT_MEDIA_TYPE,
      size: 524,
      receivingRegion: stack.home,
      pushedAt: new Date().toISOString(),
      regions: {},
    },
    new Date(),
    stack.acr.loginServer,
  );
  const replicas = stack.regions.filter((r) => r !== stack.home).join(', ');
  return `
dev-stack: running (Ctrl-C stops everything)
  functions       ${stack.host.url}/api   (PORT)
  simulated ACR   ${stack.acr.url}   (ACR_PORT; home ${stack.home}, replicas ${replicas})
  simulated AKS   ${stack.aks.url}   (AKS_PORT)
  Azurite         http://127.0.0.1:${stack.azurite.port}   (AZURITE_PORT)
  webhook secret  ${STACK_SECRET}   (webhooks send Authorization: Bearer <secret>)

Push an image (the simulated ACR replicates it and sends one webhook per region):
  curl -s -X POST ${stack.acr.url}/_control/push -H 'content-type: application/json' -d '${JSON.stringify(image)}'

Or send ACR's push webhook for that image yourself, as the ${stack.home} webhook would (answers 202):
  curl -s -X POST ${stack.host.url}/api/acr/events/${stack.home} -H 'Authorization: Bearer ${STACK_SECRET}' -H 'content-type: application/json' -d '${JSON.stringify(webhook)}'

Watch it:
  status page: ${stack.host.url}/api/dashboard   (open it in a browser)
  curl -s ${stack.host.url}/api/releases       (releases and their region rollouts)
  curl -s ${stack.host.url}/api/ledger         (which digest runs where)
  curl -s ${stack.aks.url}/_control/state      (what the simulated clusters run)
`;
}

if (require.main === module) {
  runUntilSignalled('dev-stack', async () => {
    const ports = await stackPorts(process.env);
    const stack = await startStack({
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
    });
    console.log(instructions(stack));
    return stack;
  });
}
