// Runs the AKS simulator as a process for the demo:
//   tsx dev/aks-simulator/main.ts --port 5060 --token dev-token --clusters clusters.json \
//     [--acr http://127.0.0.1:5050] [--seed 1] [--rollout-ms 2000] [--pull-failure-ms 5000]
// clusters.json: an array of { resourceId, region, aadManaged?, disableRunCommand?, workloads }.
// Without --acr every pull succeeds; with it, each pull asks the ACR simulator's
// GET /_control/holds?region=&repository=&digest= (answer {"holds": boolean}).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AksSimulator } from './server';
import type { SimClusterConfig } from './cluster';
import { runUntilSignalled } from '../process-main';

async function main(): Promise<AksSimulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '5060' },
      token: { type: 'string', default: process.env.LOCAL_DEV_TOKEN ?? 'local-dev-token' },
      clusters: { type: 'string' },
      acr: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'rollout-ms': { type: 'string', default: '2000' },
      'pull-failure-ms': { type: 'string', default: '5000' },
    },
  });
  if (!values.clusters) throw new Error('--clusters <file.json> is required');
  const clusters = JSON.parse(readFileSync(values.clusters, 'utf8')) as SimClusterConfig[];
  const sim = await AksSimulator.start({
    port: Number(values.port),
    token: values.token,
    clusters,
    acrControlUrl: values.acr,
    seed: Number(values.seed),
    rolloutMs: Number(values['rollout-ms']),
    pullFailureDelayMs: Number(values['pull-failure-ms']),
  });
  console.log(
    `AKS simulator listening on ${sim.url} (${clusters.length} clusters); state at ${sim.url}/_control/state`,
  );
  return sim;
}

runUntilSignalled('aks-simulator', main);
