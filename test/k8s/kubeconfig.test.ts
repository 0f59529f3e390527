// The kubeconfig listClusterUserCredential returns is read minimally and safely: one cluster's
// server (https) and CA, and what kind of user it names (Entra exec / local token / certificate).
import { describe, expect, it } from 'vitest';
import { KubeconfigError, parseKubeconfig } from '../../src/adapters/clusters/kubernetes-api/credentials';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const CA = Buffer.from(PEM).toString('base64');

function kubeconfig(user: string[], server = 'https://aks-dns-1234.hcp.westeurope.azmk8s.io:443'): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${CA}`,
    `    server: ${server}`,
    '  name: aks',
    'contexts:',
    '- context:',
    '    cluster: aks',
    '    user: clusterUser_rg_aks',
    '  name: aks',
    'current-context: aks',
    'kind: Config',
    'users:',
    '- name: clusterUser_rg_aks',
    '  user:',
    ...user,
  ].join('\n');
}

describe('parseKubeconfig', () => {
  it('takes only the server and the CA from an Entra kubeconfig whose user is a kubelogin exec', () => {
    const facts = parseKubeconfig(
      kubeconfig([
        '    exec:',
        '      command: kubelogin',
        '      args:',
        '      - get-token',
        '      - --server-id',
        '      - 6dae42f8-4368-4678-94ff-3960e28e3630',
      ]),
    );
    expect(facts).toEqual({
      server: 'https://aks-dns-1234.hcp.westeurope.azmk8s.io:443',
      ca: PEM,
      user: 'entra',
    });
  });

  it('treats the legacy azure auth-provider as Entra too', () => {
    expect(parseKubeconfig(kubeconfig(['    auth-provider:', '      name: azure'])).user).toBe('entra');
  });

  it('recognises a local account (static token, or client certificate only)', () => {
    expect(parseKubeconfig(kubeconfig(['    token: "abc123"']))).toMatchObject({
      user: 'local-token',
      localToken: 'abc123',
    });
    expect(
      parseKubeconfig(kubeconfig(['    client-certificate-data: AAAA', '    client-key-data: BBBB'])).user,
    ).toBe('local-certificate');
  });

  it('refuses a plain-http server that is not loopback, several clusters, and a CA that is not a certificate', () => {
    expect(() => parseKubeconfig(kubeconfig(['    exec:'], 'http://10.0.0.1:80'))).toThrow(KubeconfigError);
    const two = kubeconfig(['    exec:']).replace(
      'clusters:',
      'clusters:\n- cluster:\n    server: https://other:443\n  name: b',
    );
    expect(() => parseKubeconfig(two)).toThrow(/expected one cluster server/);
    const badCa = kubeconfig(['    exec:']).replace(CA, Buffer.from('not a pem').toString('base64'));
    expect(() => parseKubeconfig(badCa)).toThrow(/PEM certificate/);
  });
});
