// The wake-up queue in the infrastructure and host configuration: the queue (and its poison
// queue) named from the table prefix as the app derives it, the identity setting the app and the
// trigger read, the role that lets the trigger release and poison messages, one always-ready
// instance for `advance`, and host.json's queue settings.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueNameFrom } from '../../src/functions/registrations';
import { makeRegistrations } from '../../src/functions/registrations';
import { wakeQueueName } from '../../src/core/wakeup';
import { HOST_QUEUE_SETTINGS } from '../../dev/local-queue';
import { INFRA, ROOT, blockAfter, read, stripComments } from './bicep-text';

const main = stripComments(read(join(INFRA, 'main.bicep')));
const api = stripComments(read(join(INFRA, 'app', 'api.bicep')));
const rbac = stripComments(read(join(INFRA, 'app', 'rbac.bicep')));
const host = JSON.parse(read(join(ROOT, 'host.json'))) as {
  extensions?: { queues?: Record<string, unknown> };
};

describe('the wake-up queue in infra', () => {
  it('when storage is created, then it holds `<prefix>-work` and its poison queue, derived as the app derives it', () => {
    expect(main).toMatch(/var tablePrefix = 'rollout'/);
    expect(main).toMatch(/var wakeQueueName = '\$\{toLower\(tablePrefix\)\}-work'/);
    const queues = blockAfter(main, /queueServices:\s*\{/);
    expect(queues).toMatch(/\{ name: wakeQueueName \}/);
    expect(queues).toMatch(/\{ name: '\$\{wakeQueueName\}-poison' \}/);
    expect(wakeQueueName('rollout')).toBe('rollout-work');
    expect(queueNameFrom({ ROLLOUT_TABLE_PREFIX: 'Blue2' })).toBe('blue2-work');
    expect(main).toMatch(/tablePrefix: tablePrefix/);
  });

  it('when the app is configured, then ROLLOUT_STORAGE__queueServiceUri is the account queue endpoint', () => {
    expect(api).toMatch(/ROLLOUT_STORAGE__queueServiceUri: stg\.properties\.primaryEndpoints\.queue/);
  });

  it('when the identity gets its roles, then Storage Queue Data Contributor is assigned on the storage account', () => {
    expect(rbac).toMatch(/storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'/);
    const block = blockAfter(rbac, /resource queueContributor [^{]*/) ?? '';
    expect(block).toMatch(/scope: storageAccount/);
    expect(block).toMatch(/storageQueueDataContributorRoleId/);
  });

  it('when Flex Consumption scales the queue function on its own instances, then `advance` has one always-ready instance', () => {
    const ready = blockAfter(api, /alwaysReady:\s*\[/) ?? '';
    expect(ready).toMatch(/name: 'function:advance'/);
    expect(ready).toMatch(/instanceCount: 1/);
  });
});

describe('the queue trigger and host.json', () => {
  it('when the functions are registered, then `advance` reads the derived queue over connection ROLLOUT_STORAGE', () => {
    const regs = makeRegistrations(
      () => {
        throw new Error('not called at registration');
      },
      {},
      'rollout-work',
    );
    expect(regs.queues.map((q) => [q.name, q.queueName, q.connection])).toEqual([
      ['advance', 'rollout-work', 'ROLLOUT_STORAGE'],
    ]);
  });

  it('when host.json is read, then queues poll at most every second, retry 5 times with a visibility timeout, base64 messages', () => {
    expect(host.extensions?.queues).toMatchObject({
      maxPollingInterval: '00:00:01',
      maxDequeueCount: 5,
      visibilityTimeout: '00:00:05',
      messageEncoding: 'base64',
      batchSize: 16,
    });
    // The local host's poller uses the same values.
    expect(HOST_QUEUE_SETTINGS).toEqual({
      maxPollingIntervalMs: 1000,
      visibilityTimeoutMs: 5000,
      maxDequeueCount: 5,
      batchSize: 16,
    });
  });
});
