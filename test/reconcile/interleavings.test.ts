import fc from 'fast-check';
import { describe, it } from 'vitest';
import { openTableRolloutStore } from '../../src/adapters/tables/table-store';
import { MemoryRolloutStore } from '../support/memory-store';
import { testConfig } from '../support/config';
import { REGIONS, runScenario, stepArb, type Step } from './interleavings';
import { gateStepArb, operatorStepArb } from './interleavings-operator';

// FC_SEED pins fast-check's seed (to replay a counterexample or run other seeds); FC_PATH with it
// replays one counterexample of that seed.
const pinned = {
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
  ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
};
// On Azurite a run that never settles fails within the test's 240 s with its seed and
// counterexample, instead of a silent test timeout: each run within 60 s, and the whole
// property (shrinking included) stopped at 170 s, so a run cut by the 60 s still reports in time.
const hangGuard = {
  plugins: [fc.timeout(60_000), fc.interruptAfterTimeLimit(170_000, { failOnInterrupt: true })],
};

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
      { numRuns: 400, ...pinned },
    );
  });

  it('when the same interleavings run on the real Table store (Azurite), then every invariant holds', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 25 }), async (steps) => {
        const store = openTableRolloutStore(
          { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
          `prop${Date.now().toString(36)}${n++}`,
        );
        await runScenario(steps, { store, config: config() });
      }),
      { numRuns: 25, ...hangGuard, ...pinned },
    );
  }, 240_000);
});

describe('reconciler under random interleavings of versioned pushes (order semver)', () => {
  // my-app is ordered by version (v2.0.0 > 1.10.0 > 1.4.3); team/api keeps push order within its
  // range (^1.0.0: 1.4.3 and 1.10.0). Extra pushes of my-app make hotfixes pushed after a higher
  // version, re-pushed versions (same tag, new digest) and reordered arrivals common.
  const TAGS = ['v2.0.0', '1.4.3', '1.10.0'] as const;
  const appPushArb: fc.Arbitrary<Step> = fc.record({
    kind: fc.constant('push' as const),
    repo: fc.constant(0),
    tag: fc.nat(2),
    digest: fc.nat(3),
    regionalStamp: fc.constantFrom('push' as const, 'landing' as const),
  });
  const versionedSteps = (maxLength: number) =>
    fc.array(fc.oneof({ weight: 4, arbitrary: stepArb }, { weight: 1, arbitrary: appPushArb }), {
      minLength: 5,
      maxLength,
    });
  const semverConfig = () => {
    const c = config();
    const [app, api] = c.workloads;
    return testConfig({
      regions: REGIONS,
      workloads: [
        { ...app, order: 'semver' },
        { ...api, tags: ['*'], versions: '^1.0.0' },
      ],
      env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' },
    });
  };

  it('when versioned pushes are duplicated, reordered, dropped and race the timer, then each cluster runs the highest version and every invariant holds (in-memory store)', async () => {
    await fc.assert(
      fc.asyncProperty(versionedSteps(60), async (steps) => {
        const store = new MemoryRolloutStore();
        await runScenario(steps, {
          store,
          config: semverConfig(),
          tags: TAGS,
          ledgerHistory: () => store.ledgerHistory,
        });
      }),
      { numRuns: 300, ...pinned },
    );
  }, 240_000);

  it('when the same versioned interleavings run on the real Table store (Azurite), then every invariant holds', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(versionedSteps(25), async (steps) => {
        const store = openTableRolloutStore(
          { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
          `propsv${Date.now().toString(36)}${n++}`,
        );
        await runScenario(steps, { store, config: semverConfig(), tags: TAGS });
      }),
      { numRuns: 15, ...hangGuard, ...pinned },
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
      { numRuns: 200, ...pinned },
    );
  }, 240_000);

  it('when the same operator interleavings run on the real Table store (Azurite), then every invariant holds', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(steps, async (s) => {
        const store = openTableRolloutStore(
          { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
          `propop${Date.now().toString(36)}${n++}`,
        );
        await runScenario(s.slice(0, 25), { store, config: withApprovals(), operators: true });
      }),
      { numRuns: 10, ...hangGuard, ...pinned },
    );
  }, 240_000);
});

describe('reconciler with pauses and holds racing the starts they stop', () => {
  const withApprovals = () => {
    const c = config();
    return { ...c, policy: { ...c.policy, approvalWaves: [1] } };
  };
  // A release whose wave 1 awaits approval in both its regions: the approval's nudge starts them
  // unless the pause or hold sent beside it (after a random offset, while claims are in flight
  // for a random time) took effect first.
  const prelude: Step[] = [
    { kind: 'push', repo: 0, tag: 0, digest: 0, regionalStamp: 'push' },
    { kind: 'replicate', push: 0, region: 1 },
    { kind: 'replicate', push: 0, region: 2 },
    { kind: 'deliver', pick: 0, duplicate: false, withTick: false },
    { kind: 'deliver', pick: 0, duplicate: false, withTick: false },
    { kind: 'deliver', pick: 0, duplicate: false, withTick: false },
    { kind: 'tick', seconds: 5, concurrentTicks: 1 },
    { kind: 'tick', seconds: 5, concurrentTicks: 1 },
  ];
  const steps = fc.array(fc.oneof({ weight: 3, arbitrary: gateStepArb }, { weight: 2, arbitrary: stepArb }), {
    minLength: 1,
    maxLength: 20,
  });

  it('when pause and hold race approvals, ticks and claims in flight, then no start is claimed after a pause or hold took effect (in-memory store)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (s) => {
        const store = new MemoryRolloutStore();
        await runScenario([...prelude, ...s], {
          store,
          config: withApprovals(),
          operators: true,
          ledgerHistory: () => store.ledgerHistory,
        });
      }),
      { numRuns: 150, ...pinned },
    );
  }, 240_000);

  it('when the same races run on the real Table store (Azurite), then no start is claimed after a pause or hold took effect', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(steps, async (s) => {
        const store = openTableRolloutStore(
          { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
          `propgate${Date.now().toString(36)}${n++}`,
        );
        await runScenario([...prelude, ...s.slice(0, 10)], {
          store,
          config: withApprovals(),
          operators: true,
        });
      }),
      { numRuns: 12, ...hangGuard, ...pinned },
    );
  }, 240_000);
});
