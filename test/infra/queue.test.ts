// The wake-up queue in the infrastructure and host configuration: the queue (and its poison
// queue) named from the table prefix as the app derives it, the identity setting the app and the
// trigger read, one always-ready instance for `advance`, and host.json's queue settings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRegistrations, queueNameFrom } from '../../src/functions/registrations';
import { wakeQueueName } from '../../src/core/wakeups/due-time';
import { HOST_QUEUE_SETTINGS } from '../../dev/local-queue';
import { ROOT, scenario } from './arm';

const d = scenario();
const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as {
  extensions?: { queues?: Record<string, unknown> };
};
const settings = Object.fromEntries(
  (
    d.resources.find((r) => r.type === 'Microsoft.Web/sites')!.properties.siteConfig as {
      appSettings: Array<{ name: string; value: unknown }>;
    }
  ).appSettings.map((s) => [s.name, String(s.value)]),
);

describe('the wake-up queue in infra', () => {
  it('when storage is created, then it holds `<prefix>-work` and its poison queue, named as the app derives them', () => {
    const queues = d.resources
      .filter((r) => r.type === 'Microsoft.Storage/storageAccounts/queueServices/queues' && !r.existing)
      .map((r) => r.name.split('/').at(-1));
    const prefix = settings.ROLLOUT_TABLE_PREFIX!;
    expect(queues).toEqual([wakeQueueName(prefix), `${wakeQueueName(prefix)}-poison`]);
    expect(queueNameFrom({ ROLLOUT_TABLE_PREFIX: prefix })).toBe(queues[0]);
    expect(queueNameFrom({ ROLLOUT_TABLE_PREFIX: 'Blue2' })).toBe('blue2-work');
  });

  it('when the app is configured, then ROLLOUT_STORAGE__queueServiceUri is the account queue endpoint, with the identity', () => {
    expect(settings.ROLLOUT_STORAGE__queueServiceUri).toBe('<ref:core/storage.primaryEndpoints.queue>');
    expect(settings.ROLLOUT_STORAGE__credential).toBe('managedidentity');
    expect(settings.ROLLOUT_STORAGE__clientId).toBe('<ref:core/identity.clientId>');
  });

  it('when Flex Consumption scales the queue function on its own instances, then `advance` has one always-ready instance', () => {
    const scale = (
      d.resources.find((r) => r.type === 'Microsoft.Web/sites')!.properties.functionAppConfig as {
        scaleAndConcurrency: { alwaysReady: unknown };
      }
    ).scaleAndConcurrency;
    expect(scale.alwaysReady).toEqual([{ name: 'function:advance', instanceCount: 1 }]);
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
    expect(HOST_QUEUE_SETTINGS).toEqual({
      maxPollingIntervalMs: 1000,
      visibilityTimeoutMs: 5000,
      maxDequeueCount: 5,
      batchSize: 16,
    });
  });
});
