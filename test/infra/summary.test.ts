// The summary azd prints after provisioning and deploying (infra/hooks/summary.mjs, run by the
// azure.yaml hooks with the template's outputs in its environment): the status page, each region's
// webhook URL, the key command; never a secret, even when the environment holds one.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, scenario } from './arm';

const run = (env: Record<string, string>) =>
  execFileSync(process.execPath, [join(ROOT, 'infra', 'hooks', 'summary.mjs')], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });

describe('the after-provision summary', () => {
  it('when azd runs the hook with the outputs, then it prints the status page, the webhook URLs and the key command, and no secret', () => {
    // The outputs as the template computes them, with the host name azd would have by then.
    const outputs = Object.fromEntries(
      Object.entries(scenario().outputs).map(([k, v]) => [
        k,
        String(v).replaceAll('<ref:api/site.defaultHostName>', 'func-rollout-x.azurewebsites.net'),
      ]),
    );
    const text = run({ ...outputs, WEBHOOK_SECRET: 'super-secret-value-123456', AZURE_ENV_NAME: 'prod' });
    expect(text).toContain('status page            https://func-rollout-x.azurewebsites.net/api/dashboard');
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

  it('when the outputs are not there yet, then it says so instead of failing', () => {
    const text = run({});
    expect(text).toContain('status page            (not provisioned yet)');
    expect(text).toContain('--query functionKeys.default -o tsv');
  });
});
