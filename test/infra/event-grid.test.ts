// The intake choice (INTAKE: webhook, event-grid, both), from the compiled ARM JSON deployed on
// paper: webhooks as they are by default; for Event Grid the registry's system topic (beside the
// registry, with a system-assigned identity), a dead-letter container in the app's storage account
// and one role for the topic's identity, Storage Blob Data Contributor on that container alone;
// the outputs the postdeploy hook (infra/hooks/event-grid.mjs) and the summary read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ref } from './arm-eval';
import {
  INFRA,
  REGISTRY_ID,
  SCENARIO_CONFIG,
  SUB_ACR,
  SUB_APP,
  azdSubstitute,
  scenario,
  template,
  type Deployed,
  type Deployment,
} from './arm';

const WEBHOOK = 'Microsoft.ContainerRegistry/registries/webhooks';
const TOPIC = 'Microsoft.EventGrid/systemTopics';
const CONTAINER = 'Microsoft.Storage/storageAccounts/blobServices/containers';
const ASSIGNMENT = 'Microsoft.Authorization/roleAssignments';
const BLOB_DATA_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';

const of = (d: Deployment, type: string): Deployed[] =>
  d.resources.filter((r) => r.type === type && !r.existing);
const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x instanceof Ref ? x.toString() : x));

const byDefault = scenario();
const webhookOnly = scenario({ intake: 'webhook' });
const eventGrid = scenario({ intake: 'event-grid' });
const both = scenario({ intake: 'both' });
const account = of(byDefault, 'Microsoft.Storage/storageAccounts')[0]!;
const deadLetterScope = `${account.id}/blobServices/default/containers/event-grid-dead-letters`;

describe('the intake parameter', () => {
  it('when declared, then webhook, event-grid or both, webhook by default; azd reads INTAKE (webhook when unset)', () => {
    expect(template().parameters!.intake).toMatchObject({
      type: 'string',
      defaultValue: 'webhook',
      allowedValues: ['webhook', 'event-grid', 'both'],
    });
    const file = readFileSync(join(INFRA, 'main.parameters.json'), 'utf8');
    const intake = (env: Record<string, string>) =>
      (JSON.parse(azdSubstitute(file, env)) as { parameters: Record<string, { value: unknown }> }).parameters
        .intake!.value;
    expect(intake({})).toBe('webhook');
    expect(intake({ INTAKE: 'both' })).toBe('both');
    expect(() => scenario({ intake: 'eventgrid' })).toThrow(
      /parameter intake value "eventgrid" is not allowed/,
    );
  });
});

describe('intake webhook (the default)', () => {
  it('when deployed, then one webhook per replica region, exactly as without the parameter, and nothing of Event Grid', () => {
    expect(of(webhookOnly, WEBHOOK)).toHaveLength(SCENARIO_CONFIG.regions.length);
    expect(text(of(webhookOnly, WEBHOOK))).toBe(text(of(byDefault, WEBHOOK)));
    expect(of(webhookOnly, TOPIC)).toEqual([]);
    expect(webhookOnly.resources.filter((r) => /EventGrid/i.test(r.type))).toEqual([]);
    expect(of(webhookOnly, CONTAINER).map((c) => c.name.split('/').at(-1))).not.toContain(
      'event-grid-dead-letters',
    );
    expect(of(webhookOnly, ASSIGNMENT).map((a) => a.id)).toEqual(of(byDefault, ASSIGNMENT).map((a) => a.id));
  });

  it('when deployed, then the outputs say webhook and leave the Event Grid ones empty', () => {
    expect(byDefault.outputs).toMatchObject({
      ROLLOUT_INTAKE: 'webhook',
      ROLLOUT_EVENT_GRID_TOPIC_ID: '',
      ROLLOUT_EVENT_GRID_SUBSCRIPTION: '',
      ROLLOUT_DEAD_LETTER_CONTAINER: '',
    });
    expect(String(byDefault.outputs.ROLLOUT_WEBHOOK_NAMES).split(',')).toHaveLength(
      SCENARIO_CONFIG.regions.length,
    );
  });
});

describe('intake event-grid', () => {
  const [topic] = of(eventGrid, TOPIC);

  it('when deployed, then no ACR webhook, and the webhook outputs are empty', () => {
    expect(of(eventGrid, WEBHOOK)).toEqual([]);
    expect(eventGrid.outputs.ROLLOUT_WEBHOOK_URLS).toBe('');
    expect(eventGrid.outputs.ROLLOUT_WEBHOOK_NAMES).toBe('');
  });

  it('when deployed, then one system topic on the registry, beside it (its group, its location), with a system-assigned identity', () => {
    expect(of(eventGrid, TOPIC)).toHaveLength(1);
    expect(topic!.at).toEqual({ subscriptionId: SUB_ACR, resourceGroup: 'rg-acr' });
    expect(topic!.apiVersion).toBe('2025-02-15');
    expect(topic!.name).toMatch(/^myregistry-rollout-[a-z0-9]{5}$/);
    expect(topic!.properties).toEqual({
      source: REGISTRY_ID,
      topicType: 'Microsoft.ContainerRegistry.Registries',
    });
    expect(topic!.raw.identity).toEqual({ type: 'SystemAssigned' });
    // The registry's own location, read from the registry (a system topic lives where its source does).
    expect(topic!.raw.location).toBe("[parameters('location')]");
    expect(String(eventGrid.moduleParams.eventGrid!.location)).toBe('<ref:registry.location>');
    const registry = eventGrid.resources.find((r) => r.symbol === 'registry' && r.module === '')!;
    expect(registry).toMatchObject({ existing: true, id: REGISTRY_ID });
  });

  it("when deployed, then a private dead-letter container in the app's storage account, which keeps shared keys off", () => {
    const containers = of(eventGrid, CONTAINER).filter((c) => c.name.endsWith('/event-grid-dead-letters'));
    expect(containers).toHaveLength(1);
    expect(containers[0]!.id).toBe(deadLetterScope);
    expect(containers[0]!.at).toEqual({ subscriptionId: SUB_APP, resourceGroup: 'rg-prod' });
    expect(containers[0]!.properties).toEqual({ publicAccess: 'None' });
    const storage = of(eventGrid, 'Microsoft.Storage/storageAccounts');
    expect(storage).toHaveLength(1);
    expect(storage[0]!.properties.allowSharedKeyAccess).toBe(false);
  });

  it("when deployed, then the topic's identity gets exactly one role: Storage Blob Data Contributor on the dead-letter container", () => {
    const before = new Set(of(byDefault, ASSIGNMENT).map((a) => a.id));
    const added = of(eventGrid, ASSIGNMENT).filter((a) => !before.has(a.id));
    expect(added).toHaveLength(1);
    const [role] = added;
    expect(role!.scope).toBe(deadLetterScope);
    expect(String(role!.properties.roleDefinitionId).split('/').at(-1)).toBe(BLOB_DATA_CONTRIBUTOR);
    expect(role!.properties.principalType).toBe('ServicePrincipal');
    expect(String(role!.properties.principalId)).toBe(`<ref:eventGrid/${topic!.id}.identity.principalId>`);
    expect(role!.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Every other assignment is the app identity's, as with webhooks.
    expect(of(eventGrid, ASSIGNMENT).filter((a) => before.has(a.id))).toHaveLength(before.size);
  });

  it('when deployed, then the outputs name what the postdeploy hook needs: ids only, no secret', () => {
    expect(eventGrid.outputs).toMatchObject({
      ROLLOUT_INTAKE: 'event-grid',
      ROLLOUT_ARM_ENDPOINT: 'https://management.azure.com',
      ROLLOUT_EVENT_GRID_TOPIC_ID: topic!.id,
      ROLLOUT_EVENT_GRID_SUBSCRIPTION: 'acr-geo-rollout',
      ROLLOUT_FUNCTION_APP_ID: `/subscriptions/${SUB_APP}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/${String(eventGrid.outputs.AZURE_FUNCTION_NAME)}`,
      ROLLOUT_STORAGE_ACCOUNT_ID: account.id,
      ROLLOUT_DEAD_LETTER_CONTAINER: 'event-grid-dead-letters',
    });
  });

  it('when two environments share one registry, then their topic names differ (the second fails loudly: one system topic per source)', () => {
    const name = (env: string) =>
      of(scenario({ environmentName: env, intake: 'event-grid' }), TOPIC)[0]!.name;
    expect(name('staging')).not.toBe(topic!.name);
  });
});

describe('intake both', () => {
  it('when deployed, then the webhooks of each region and the Event Grid topic, container and role', () => {
    expect(text(of(both, WEBHOOK))).toBe(text(of(byDefault, WEBHOOK)));
    expect(of(both, TOPIC).map((t) => t.id)).toEqual(of(eventGrid, TOPIC).map((t) => t.id));
    expect(of(both, CONTAINER).map((c) => c.id)).toContain(deadLetterScope);
    expect(of(both, ASSIGNMENT).map((a) => a.id)).toEqual(of(eventGrid, ASSIGNMENT).map((a) => a.id));
    expect(both.outputs.ROLLOUT_WEBHOOK_URLS).toBe(byDefault.outputs.ROLLOUT_WEBHOOK_URLS);
    expect(both.outputs.ROLLOUT_EVENT_GRID_SUBSCRIPTION).toBe('acr-geo-rollout');
  });
});

describe('access restrictions by intake', () => {
  const rules = (intake: string) =>
    (
      of(scenario({ intake, operatorIpRanges: '203.0.113.0/24' }), 'Microsoft.Web/sites')[0]!.properties
        .siteConfig as { ipSecurityRestrictions: Array<{ name: string; ipAddress: string }> }
    ).ipSecurityRestrictions.map((r) => `${r.name}=${r.ipAddress}`);

  it('when the app is restricted, then the service tag of each intake in use is admitted, and no other', () => {
    expect(rules('webhook')).toEqual(['operator-0=203.0.113.0/24', 'acr-webhooks=AzureContainerRegistry']);
    expect(rules('event-grid')).toEqual(['operator-0=203.0.113.0/24', 'event-grid=AzureEventGrid']);
    expect(rules('both')).toEqual([
      'operator-0=203.0.113.0/24',
      'acr-webhooks=AzureContainerRegistry',
      'event-grid=AzureEventGrid',
    ]);
  });
});

describe('the hooks and the template', () => {
  it('when the hooks read outputs, then each ROLLOUT_ name they read (but the test-only knobs) is a template output', () => {
    const outputs = Object.keys(template().outputs ?? {});
    for (const hook of ['event-grid.mjs', 'summary.mjs']) {
      const src = readFileSync(join(INFRA, 'hooks', hook), 'utf8');
      const read = new Set([...src.matchAll(/env\.(ROLLOUT_[A-Z0-9_]+)/g)].map((m) => m[1]!));
      for (const name of read)
        if (!['ROLLOUT_TEST_ARM_TOKEN', 'ROLLOUT_EVENT_GRID_TIMEOUT_S'].includes(name))
          expect(outputs, `${hook} reads ${name}`).toContain(name);
    }
  });
});
