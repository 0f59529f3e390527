import fc from 'fast-check';
import { describe, it } from 'vitest';
import { TableRolloutStore } from '../../src/adapters/table-store';
import { MemoryRolloutStore } from '../support/memory-store';
import { testConfig } from '../support/config';
import { REGIONS, runScenario, stepArb } from './interleavings';
import { operatorStepArb } from './interleavings-operator';

const config = () =>
  testConfig({
    regions: REGIONS,
    workloads: [
      {
        repository: 'my-app',
        tags: ['*'],
        namespace: 'default',
        kind: 'Deployment',
        name: 'my-app',
        container: 'my-app',
      },
      {
        repository: 'team/api',
        tags: ['1.*'],
        namespace: 'api',
        kind: 'StatefulSet',
        name: 'api',
        container: 'api',
        regions: ['eastus', 'westeurope'],
      },
    ],
    env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' },
  });

describe('reconciler under random interleavings', () => {
  it('when deliveries are duplicated, reordered, dropped and race the timer, then every invariant holds (in-memory store, many cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 60 }), async (steps) => {
        const store = new MemoryRolloutStore();
        await runScenario(steps, { store, config: config(), ledgerHistory: () => store.ledgerHistory });
      }),
      { numRuns: 400 },
    );
  });

  it('when the same interleavings run on the real Table store (Azurite), then every invariant holds', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 25 }), async (steps) => {
        const store = new TableRolloutStore(
          { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
          `prop${Date.now().toString(36)}${n++}`,
        );
        await runScenario(steps, { store, config: config() });
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});

describe('reconciler under random interleavings with operator actions', () => {
  const withApprovals = () => {
    const c = config();
    return { ...c, policy: { ...c.policy, approvalWaves: [1] } };
  };
  const steps = fc.array(
    fc.oneof({ weight: 5, arbitrary: stepArb }, { weight: 2, arbitrary: operatorStepArb }),
    {
      minLength: 5,
      maxLength: 60,
    },
  );

  it('when retry, cancel, pause/resume, hold/unhold and approve race ticks and webhooks, then every invariant holds (in-memory store)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (s) => {
        const store = new MemoryRolloutStore();
        await runScenario(s, {
          store,
          config: withApprovals(),
          operators: true,
          ledgerHistory: () => store.ledgerHistory,
        });
      }),
      { numRuns: 200 },
    );
  }, 240_000);

  it('when the same operator interleavings run on the real Table store (Azurite), then every invariant holds', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(steps, async (s) => {
        const store = new TableRolloutStore(
          { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
          `propop${Date.now().toString(36)}${n++}`,
        );
        await runScenario(s.slice(0, 25), { store, config: withApprovals(), operators: true });
      }),
      { numRuns: 10 },
    );
  }, 240_000);
});
