// The contrast: the usual automation, "deploy everywhere when the push webhook arrives", replayed
// against the same simulated delays. A fresh ACR + AKS simulator pair, and a tiny receiver that on
// the first push webhook starts the real AKS executor on every cluster at once. Clusters whose
// replica does not hold the digest yet fail to pull it (ImagePullBackOff).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAksExecutor } from '../src/adapters/clusters/run-command/executor';
import { StaticTokenCredential } from '../src/adapters/platform/credential';
import type { RolloutHandle, Workload } from '../src/core/model/records';
import type { RolloutRequest } from '../src/core/model/ports';
import { AcrSimulator } from './acr-simulator';
import { AksSimulator } from './aks-simulator';
import { OLD_DIGEST, STACK_TOKEN, stackClusterId } from './stack';

export interface NaiveRegionResult {
  region: string;
  result: 'succeeded' | 'failed' | 'not started' | 'unknown';
  reason?: string | undefined;
  /** ms from the push until the rollout was started (the webhook's arrival). */
  startedAfterMs?: number | undefined;
  pullFailures: number;
}

export interface NaiveResult {
  regions: NaiveRegionResult[];
  pullFailures: number;
  digest: string;
}

export interface NaiveOptions {
  regions: string[];
  home: string;
  delays: Record<string, number>;
  rolloutMs: number;
  repository: string;
  tag: string;
  /** Replay this exact digest (as the product's run pushed it). */
  digest?: string | undefined;
  note: (text: string) => void;
}

const WORKLOAD: Omit<Workload, 'repository'> = {
  tags: ['*'],
  namespace: 'default',
  kind: 'Deployment',
  name: 'my-app',
  container: 'my-app',
};

interface Started {
  request: RolloutRequest;
  handle?: RolloutHandle | undefined;
  rejected?: string | undefined;
  at: number;
}

export async function runNaive(o: NaiveOptions): Promise<NaiveResult> {
  const acr = await AcrSimulator.start({ regions: o.regions, home: o.home, delays: o.delays, seed: 1 });
  const aks = await AksSimulator.start({
    token: STACK_TOKEN,
    replicaHolds: acr.holds,
    rolloutMs: o.rolloutMs,
    pullFailureDelayMs: o.rolloutMs,
    seed: 1,
    clusters: o.regions.map((region) => ({
      resourceId: stackClusterId(region),
      region,
      workloads: [
        {
          namespace: WORKLOAD.namespace,
          kind: WORKLOAD.kind,
          name: WORKLOAD.name,
          containers: [
            { name: WORKLOAD.container, image: `${acr.loginServer}/${o.repository}@${OLD_DIGEST}` },
          ],
        },
      ],
    })),
  });
  const executor = createAksExecutor({
    armEndpoint: aks.url,
    credential: new StaticTokenCredential(STACK_TOKEN),
  });

  let pushedAt = 0;
  let fired: Promise<Started[]> | undefined;
  let gotWebhook: (() => void) | undefined;
  const webhook = new Promise<void>((resolve) => (gotWebhook = resolve));

  // The naive "function": on a push event, roll out every region now.
  const startEverywhere = (target: { repository: string; digest: string; tag: string }) =>
    Promise.all(
      o.regions.map(async (region): Promise<Started> => {
        const request: RolloutRequest = {
          releaseId: '0000000000001-000000000000', // any well-formed release id
          region,
          cluster: stackClusterId(region),
          workloads: [{ ...WORKLOAD, repository: target.repository }],
          image: { loginServer: acr.loginServer, ...target },
          timeoutSeconds: 60,
        };
        const at = Date.now() - pushedAt;
        const r = await executor.start(request);
        return r.kind === 'started' ? { request, handle: r.handle, at } : { request, rejected: r.reason, at };
      }),
    );
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let event: { action?: string; target?: { repository?: string; digest?: string; tag?: string } } = {};
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof event;
      } catch {
        // not JSON: ignore, as a naive receiver would
      }
      const t = event.target;
      if (!fired && event.action === 'push' && t?.repository && t.digest) {
        fired = startEverywhere({ repository: t.repository, digest: t.digest, tag: t.tag ?? '' });
        gotWebhook?.();
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  try {
    // One webhook (the home registry's), as most set-ups have.
    acr.setWebhooks([{ region: o.home, url: receiverUrl, actions: ['push'] }]);
    pushedAt = Date.now();
    const push = acr.push({ repository: o.repository, tag: o.tag, digest: o.digest });
    o.note(
      `naive: pushed ${o.repository}:${o.tag} (${push.digest.slice(0, 19)}…) to a fresh simulated registry with the same delays`,
    );
    await Promise.race([
      webhook,
      sleep(10_000).then(() => {
        throw new Error('naive receiver got no push webhook within 10 s');
      }),
    ]);
    const started = await fired!;
    o.note(
      `naive: push webhook arrived; started ${started.filter((s) => s.handle).length} rollouts at once (${o.regions.join(', ')})`,
    );

    const regions = await Promise.all(
      started.map(async (s): Promise<NaiveRegionResult> => {
        const region = s.request.region;
        const base = { region, startedAfterMs: s.at };
        if (!s.handle) return { ...base, result: 'not started', reason: s.rejected, pullFailures: 0 };
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const st = await executor.status(s.request, s.handle);
          if (st.kind === 'succeeded') return { ...base, result: 'succeeded', pullFailures: 0 };
          if (st.kind === 'failed') return { ...base, result: 'failed', reason: st.reason, pullFailures: 0 };
          await sleep(100);
        }
        return { ...base, result: 'unknown', reason: 'no outcome within 30 s', pullFailures: 0 };
      }),
    );
    for (const r of regions) r.pullFailures = aks.pullFailures(`aks-${r.region}`);
    for (const r of regions)
      o.note(
        `naive: ${r.region.padEnd(14)} ${r.result}${r.pullFailures ? `, ${r.pullFailures} failed pull(s) (ImagePullBackOff)` : ''}`,
      );
    return { regions, pullFailures: aks.pullFailures(), digest: push.digest };
  } finally {
    await new Promise<void>((resolve) => {
      receiver.close(() => resolve());
      receiver.closeAllConnections();
    });
    await Promise.allSettled([acr.stop(), aks.stop()]);
  }
}
