// Runs the ACR simulator as a process for the demo and other languages:
//   tsx dev/acr-simulator/main.ts --port 5050 --regions eastus,westeurope,southeastasia --home eastus \
//     --delays westeurope=2000,southeastasia=3000-6000 --webhook-base http://127.0.0.1:7071/api/acr/events \
//     --webhook-secret <secret> [--seed 7] [--aad-token local-dev-token] [--login-server myregistry.azurecr.io]
import { parseArgs } from 'node:util';
import { AcrSimulator, type DelaySpec, type WebhookConfig } from './index';
import { runUntilSignalled } from '../process-main';

function parseDelays(raw: string | undefined): Record<string, DelaySpec> {
  const delays: Record<string, DelaySpec> = {};
  for (const item of (raw ?? '').split(',').filter((s) => s.length > 0)) {
    const m = /^([a-z0-9]+)=(\d+)(?:-(\d+))?$/.exec(item.trim());
    if (!m) throw new Error(`--delays: expected region=ms or region=min-max, got ${item}`);
    delays[m[1]!] = m[3] ? [Number(m[2]), Number(m[3])] : Number(m[2]);
  }
  return delays;
}

async function main(): Promise<AcrSimulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '5050' },
      regions: { type: 'string', default: 'eastus,westeurope,southeastasia' },
      home: { type: 'string' },
      delays: { type: 'string' },
      'default-delay': { type: 'string', default: '1000' },
      'webhook-base': { type: 'string' },
      'webhook-secret': { type: 'string' },
      seed: { type: 'string', default: '42' },
      'aad-token': { type: 'string', default: 'local-dev-token' },
      'login-server': { type: 'string', default: 'myregistry.azurecr.io' },
    },
  });
  const regions = values.regions.split(',').map((r) => r.trim());
  const home = values.home ?? regions[0]!;
  const headers: Record<string, string> = {};
  if (values['webhook-secret']) headers.Authorization = `Bearer ${values['webhook-secret']}`;
  const webhooks: WebhookConfig[] = values['webhook-base']
    ? regions.map((region) => ({
        region,
        url: `${values['webhook-base']!.replace(/\/+$/, '')}/${region}`,
        headers,
      }))
    : [];
  const sim = await AcrSimulator.start({
    port: Number(values.port),
    regions,
    home,
    delays: parseDelays(values.delays),
    defaultDelayMs: Number(values['default-delay']),
    seed: Number(values.seed),
    aadToken: values['aad-token'],
    loginServer: values['login-server'],
    webhooks,
  });
  console.log(`ACR simulator listening on ${sim.url}`);
  console.log(`  home endpoint:     ${sim.endpoint}`);
  console.log(`  regional endpoint: ${sim.regionalEndpoint}`);
  console.log(`  webhooks:          ${webhooks.map((w) => w.url).join(', ') || '(none)'}`);
  console.log(`  control:           POST ${sim.url}/_control/push {"repository":"my-app","tag":"1.0.0"}`);
  return sim;
}

runUntilSignalled('acr-simulator', main);
