// The simulator's two ways of moving time: the control endpoint (deterministic) and a running
// clock for the dev stack (observed by polling with a deadline, never by sleeping and asserting).
import { afterEach, describe, expect, it } from 'vitest';
import { K8sSimulator } from '../../dev/k8s-simulator';

const IMAGE = `r.azurecr.io/app@sha256:${'a'.repeat(64)}`;
let sim: K8sSimulator | undefined;

function available(s: K8sSimulator): number {
  const status = s.workload('Deployment', 'shop', 'web')?.status as
    { availableReplicas?: number } | undefined;
  return status?.availableReplicas ?? 0;
}

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('K8sSimulator clock', () => {
  it('POST /_control/advance moves simulated time; a bad body is a 400 that changes nothing', async () => {
    sim = new K8sSimulator({ identities: [{ token: 't', user: 'u' }], tls: false });
    await sim.start();
    sim.seed(
      { kind: 'Deployment', namespace: 'shop', name: 'web', containers: [{ name: 'app', image: IMAGE }] },
      false,
    );
    expect(available(sim)).toBe(0);
    const bad = await fetch(`${sim.url}/_control/advance`, { method: 'POST', body: '{"ms":"soon"}' });
    expect(bad.status).toBe(400);
    expect(available(sim)).toBe(0);
    const ok = await fetch(`${sim.url}/_control/advance`, { method: 'POST', body: '{"ms":5000}' });
    expect(ok.status).toBe(200);
    expect(available(sim)).toBe(2);
  });

  it('runClock lets pods become ready without explicit advances', async () => {
    sim = new K8sSimulator({ identities: [{ token: 't', user: 'u' }], tls: false });
    await sim.start();
    sim.seed(
      { kind: 'Deployment', namespace: 'shop', name: 'web', containers: [{ name: 'app', image: IMAGE }] },
      false,
    );
    sim.runClock(20, 50);
    const deadline = Date.now() + 20_000;
    while (available(sim) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(available(sim)).toBe(2);
  });
});
