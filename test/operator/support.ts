// Shared by the operator tests: JSON calls to the local host's operator routes, and the end
// invariants every test that moves images checks (ledger equals what each cluster runs, one run
// command per attempt, no workload ever moved to an older release than it ran).
import { expect } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { LedgerView } from '../../src/app/status/ledger';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: string; message?: string; field?: string };
}

export async function call<T = Record<string, unknown>>(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await fetch(`${stack.host.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer<T>['body'] };
}

export const IMAGE = (digest: string) => `myregistry.azurecr.io/my-app@${digest}`;

/** What each cluster's spec points at equals the ledger (a failed newer attempt included), region by region. */
export async function ledgerMatchesClusters(stack: Stack): Promise<void> {
  const ledger = await stack.api<LedgerView>('/api/ledger');
  for (const region of stack.regions) {
    const running = Object.values(stack.aks.images(`aks-${region}`));
    const recorded = (ledger.regions.find((r) => r.region === region)?.workloads ?? [])
      .map((w) => (w.status === 'failed' ? (w.failed?.digest ?? null) : w.digest))
      .filter((d): d is string => d !== null)
      .map(IMAGE);
    expect(running, region).toEqual(recorded);
  }
}

/** An x-ms-client-principal header as App Service sends it (base64 JSON of the token's claims). */
export function principalHeader(o: { name?: string; roles?: string[]; roleTyp?: string } = {}): string {
  const roleTyp = o.roleTyp ?? 'roles';
  const claims = [
    ...(o.name ? [{ typ: 'name', val: o.name }] : []),
    ...(o.roles ?? []).map((val) => ({ typ: roleTyp, val })),
  ];
  return Buffer.from(
    JSON.stringify({ auth_typ: 'aad', name_typ: 'name', role_typ: roleTyp, claims }),
  ).toString('base64');
}
