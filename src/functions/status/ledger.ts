// GET /api/ledger: which digest runs where, per region and workload, and what is changing it.
import type { HttpHandler } from '@azure/functions';
import { ledgerView } from '../../app/status';
import { json, withErrorMapping } from '../platform';
import type { HttpRegistration, ResolveDeps } from '../platform';

export function makeLedgerHandler(resolveDeps: ResolveDeps): HttpHandler {
  return withErrorMapping(async () => json(200, await ledgerView(resolveDeps())));
}

export function ledgerRegistration(resolveDeps: ResolveDeps): HttpRegistration {
  return {
    name: 'ledger',
    methods: ['GET'],
    route: 'ledger',
    authLevel: 'function',
    handler: makeLedgerHandler(resolveDeps),
  };
}
