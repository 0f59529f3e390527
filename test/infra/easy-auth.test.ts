// App Service Authentication over the Bicep text (issue 12): an option, off by default; when on,
// Entra ID sign-in is required for the page and the operator actions, the ACR webhook routes stay
// reachable (ACR cannot sign in), and the README says how the actor is then recorded.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA, ROOT, blockAfter, params, read, stripComments } from './bicep-text';

const main = stripComments(read(join(INFRA, 'main.bicep')));
const auth = stripComments(read(join(INFRA, 'app', 'easy-auth.bicep')));

describe('App Service Authentication (enableEasyAuth)', () => {
  it('when main.bicep is read, then enableEasyAuth is a bool parameter, false by default, gating the module', () => {
    const p = params(main).find((x) => x.name === 'enableEasyAuth');
    expect(p?.type).toBe('bool');
    expect(main).toMatch(/param enableEasyAuth bool = false/);
    expect(main).toMatch(/module easyAuth 'app\/easy-auth\.bicep' = if \(enableEasyAuth\)/);
    const parameters = read(join(INFRA, 'main.parameters.json'));
    expect(parameters).toMatch(/"enableEasyAuth": \{\s*"value": \$\{ROLLOUT_ENABLE_EASY_AUTH=false\}/);
  });

  it('when enabled, then authsettingsV2 requires an Entra ID sign-in and excludes only the webhook routes', () => {
    expect(auth).toMatch(/resource auth 'Microsoft\.Web\/sites\/config@[\d-]+' = \{/);
    expect(auth).toMatch(/name: 'authsettingsV2'/);
    const validation = blockAfter(auth, /globalValidation:/)!;
    expect(validation).toMatch(/requireAuthentication: true/);
    expect(validation).toMatch(/redirectToProvider: 'azureactivedirectory'/);
    const aad = blockAfter(auth, /azureActiveDirectory:/)!;
    expect(aad).toMatch(/enabled: true/);
    expect(aad).toMatch(/clientId: clientId/);
    expect(aad).toMatch(
      /openIdIssuer: '\$\{environment\(\)\.authentication\.loginEndpoint\}\$\{tenantId\}\/v2\.0'/,
    );
    const call = blockAfter(main, /^module easyAuth [^=]+=/m)!;
    // The webhook route (src/functions/acr-events.ts: acr/events/{region?}), per region.
    expect(call).toMatch(
      /excludedPaths: concat\(\['\/api\/acr\/events'\], map\(replicaRegions, r => '\/api\/acr\/events\/\$\{r\}'\)\)/,
    );
    expect(read(join(ROOT, 'src', 'functions', 'acr-events.ts'))).toMatch(
      /route: 'acr\/events\/\{region\?\}'/,
    );
  });

  it('when the actor is recorded, then it is the header Easy Auth sets, and the README says so', () => {
    expect(read(join(ROOT, 'src', 'functions', 'operator-actor.ts'))).toMatch(/x-ms-client-principal-name/);
    const readme = read(join(ROOT, 'README.md'));
    expect(readme).toMatch(/enableEasyAuth/);
    expect(readme).toMatch(/ROLLOUT_ENABLE_EASY_AUTH/);
    expect(readme).toMatch(/x-ms-client-principal-name/);
  });
});
