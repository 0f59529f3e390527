// The summary azd prints after provisioning and deploying (infra/hooks/summary.mjs, run by the
// azure.yaml hooks with the template's outputs in its environment): the status page, the intake,
// each region's webhook URL or the Event Grid subscription, the key command; never a secret, even
// when the environment holds one.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, scenario } from './arm';

const run = (env: Record<string, string>) =>
  execFileSync(process.execPath, [join(ROOT, 'infra', 'hooks', 'summary.mjs')], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });

/** The outputs as the template computes them, with the host name azd would have by then. */
const outputsOf = (overrides: Record<string, unknown> = {}) =>
  Object.fromEntries(
    Object.entries(scenario(overrides).outputs).map(([k, v]) => [
      k,
      String(v).replaceAll('<ref:api/site.defaultHostName>', 'func-rollout-x.azurewebsites.net'),
    ]),
  );

describe('the after-provision summary', () => {
  it('when azd runs the hook with the outputs, then it prints the status page, the webhook URLs and the key command, and no secret', () => {
    const outputs = outputsOf();
    const text = run({ ...outputs, WEBHOOK_SECRET: 'super-secret-value-123456', AZURE_ENV_NAME: 'prod' });
    expect(text).toContain('status page            https://func-rollout-x.azurewebsites.net/api/dashboard');
    expect(text).toContain('intake                 webhook');
    expect(text).not.toContain('event subscription');
    expect(text).toContain(
      'webhook eastus         https://func-rollout-x.azurewebsites.net/api/acr/events/eastus',
    );
    expect(text).toContain(
      'webhook centralus      https://func-rollout-x.azurewebsites.net/api/acr/events/centralus',
    );
    expect(text).toContain(
      `az functionapp keys list -g rg-prod -n ${outputs.AZURE_FUNCTION_NAME} --query functionKeys.default -o tsv`,
    );
    expect(text).not.toContain('super-secret-value-123456');
    expect(text).not.toMatch(/code=/);
  });

  it('when the intake is event-grid, then it names the topic, the subscription and the dead-letter container, and no webhook', () => {
    const outputs = outputsOf({ intake: 'event-grid' });
    const text = run(outputs);
    expect(text).toContain('intake                 event-grid');
    expect(text).toContain('ACR webhooks           none (Event Grid only)');
    expect(text).not.toContain('/api/acr/events/');
    expect(text).toMatch(/event grid topic {7}myregistry-rollout-[a-z0-9]{5}\n/);
    expect(text).toContain('event subscription     acr-geo-rollout (created after deploy)');
    expect(text).toContain('dead letters           event-grid-dead-letters');
  });

  it('when the intake is both, then the webhooks of each region and the Event Grid subscription', () => {
    const text = run(outputsOf({ intake: 'both' }));
    expect(text).toContain('intake                 both');
    expect(text).toContain(
      'webhook eastus         https://func-rollout-x.azurewebsites.net/api/acr/events/eastus',
    );
    expect(text).toContain('event subscription     acr-geo-rollout (created after deploy)');
  });

  it('when the outputs are not there yet, then it says so instead of failing', () => {
    const text = run({});
    expect(text).toContain('status page            (not provisioned yet)');
    expect(text).toContain('intake                 (not provisioned yet)');
    expect(text).toContain('--query functionKeys.default -o tsv');
  });
});
