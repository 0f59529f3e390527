// What both access paths share about an AKS cluster: its resource id read and named, one ARM
// client per subscription, and the AKS server app token (credentials here are in-memory fakes of
// the Azure TokenCredential interface).
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import {
  AKS_SERVER_APP_SCOPE,
  ArmClients,
  aksServerToken,
  clusterKey,
  clusterWhere,
  readClusterId,
} from '../../src/adapters/clusters/aks-cluster';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { SUB, clusterId } from './fixtures';

const credential = (getToken: TokenCredential['getToken']): TokenCredential => ({ getToken });

describe('AKS cluster helpers', () => {
  it('reads a cluster resource id, names it and keys it case-insensitively', () => {
    const read = readClusterId(clusterId('Aks1', 'RG-East'));
    expect(read).toEqual({ id: { subscriptionId: SUB, resourceGroup: 'RG-East', name: 'Aks1' } });
    const id = 'id' in read ? read.id : undefined;
    expect(id && clusterWhere(id)).toBe('cluster RG-East/Aks1');
    expect(id && clusterKey(id)).toBe(`${SUB}/rg-east/aks1`);
  });

  it('says why a configured value is not a cluster resource id', () => {
    expect(readClusterId('aks1')).toEqual({ reason: 'not an AKS cluster resource id: "aks1"' });
  });

  it('builds one ARM client per subscription, whatever its case', () => {
    const clients = new ArmClients({
      armEndpoint: 'http://127.0.0.1:1',
      credential: new StaticTokenCredential('t'),
    });
    const a = clients.for('ABCDEF00-0000-0000-0000-000000000000');
    expect(clients.for('abcdef00-0000-0000-0000-000000000000')).toBe(a);
    expect(clients.for(SUB)).not.toBe(a);
  });

  it('gets the AKS server app token, or says why not', async () => {
    const scopes: string[] = [];
    const ok = credential((scope) => {
      scopes.push(String(scope));
      return Promise.resolve<AccessToken>({ token: 'entra', expiresOnTimestamp: Date.now() + 60_000 });
    });
    expect(await aksServerToken(ok, 1_000)).toEqual({ token: 'entra' });
    expect(scopes).toEqual([AKS_SERVER_APP_SCOPE]);
    const none = await aksServerToken(
      credential(() => Promise.resolve(null)),
      1_000,
    );
    expect(none).toEqual({
      reason: `could not get an Entra token for the AKS server app (${AKS_SERVER_APP_SCOPE}): the credential returned no token`,
    });
    const failing = await aksServerToken(
      credential(() => Promise.reject(new Error('identity endpoint down'))),
      1_000,
    );
    expect('reason' in failing && failing.reason).toContain('identity endpoint down');
  });
});
