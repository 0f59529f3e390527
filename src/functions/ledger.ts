// GET /api/ledger: which digest runs where, per region and workload, and what is changing it.
import type { HttpResponseInit } from '@azure/functions';
import { appDeps } from '../app/composition';
import { ledgerView } from '../app/status-ledger';
import { json, withErrorMapping } from './http-edge';
import type { HttpRegistration } from './registration';

export async function ledger(): Promise<HttpResponseInit> {
  return json(200, await ledgerView(appDeps()));
}

export const ledgerRegistration: HttpRegistration = {
  name: 'ledger',
  methods: ['GET'],
  route: 'ledger',
  authLevel: 'function',
  handler: withErrorMapping(ledger),
};
