// What a rollout waited for between its replica being ready and its start, told from the audit
// trail: an operator's hold, an operator's approval, a back-off, or its wave. The grid's figures
// and the timeline's bars both split the wait this way.
import type { AuditEntry } from './api-types';
import { ms } from './format';

export const RETRYING = /^(attempt \d+ of \d+ failed, retrying|cluster busy, retrying)/;

interface WaitingRollout {
  region: string;
  wave: number;
  state: string;
  reason: string;
}

export interface Piece {
  kind: string;
  from: number;
  to: number;
}

/** What a waiting rollout's reason says it waits for (null: nothing known). */
function waitKindOf(r: WaitingRollout): string | null {
  if (r.state === 'awaiting-approval') return 'approval';
  const reason = r.reason || '';
  if (/^held\b/i.test(reason)) return 'hold';
  if (RETRYING.test(reason)) return 'backoff';
  if (r.state === 'replica-ready') return 'wave';
  return null;
}

/** Hold intervals of a region from the audit trail (oldest first), open ones up to `end`. */
function holdIntervals(
  region: string,
  audit: AuditEntry[] | null,
  end: number,
): Array<[number, number | null]> {
  const out: Array<[number, number | null]> = [];
  let open: number | null = null;
  for (const a of (audit ?? []).slice().reverse()) {
    if (a.region !== region || a.outcome === 'rejected' || a.outcome === 'failed') continue;
    if (a.action === 'hold' && open === null) open = ms(a.at);
    if (a.action === 'unhold' && open !== null) {
      out.push([open, ms(a.at)]);
      open = null;
    }
  }
  if (open !== null) out.push([open, end]);
  return out;
}

/** The waiting window [from, to] cut at hold and approval moments, each piece with its kind. */
export function waitPieces(
  rel: { id: string },
  r: WaitingRollout,
  from: number,
  to: number,
  open: boolean,
  audit: AuditEntry[] | null,
): Piece[] {
  const holds = holdIntervals(r.region, audit, to);
  let approvedAt: number | null = null;
  for (const a of audit ?? [])
    if (
      a.action === 'approve' &&
      a.releaseId === rel.id &&
      a.wave === r.wave &&
      a.outcome !== 'rejected' &&
      a.outcome !== 'failed'
    )
      approvedAt = ms(a.at);
  const marks: Array<number | null> = [from, to];
  for (const h of holds) marks.push(h[0], h[1]);
  if (approvedAt !== null) marks.push(approvedAt);
  const cuts = marks.filter((t): t is number => t !== null && t >= from && t <= to).sort((a, b) => a - b);
  const current = open ? waitKindOf(r) : null;
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i] ?? 0;
    const b = cuts[i + 1] ?? 0;
    if (b <= a) continue;
    const mid = (a + b) / 2;
    const kind = holds.some((h) => mid >= h[0] && h[1] !== null && mid <= h[1])
      ? 'hold'
      : approvedAt !== null && mid < approvedAt
        ? 'approval'
        : (current ?? 'wave');
    const last = pieces[pieces.length - 1];
    if (last && last.kind === 'wait-' + kind) last.to = b;
    else pieces.push({ kind: 'wait-' + kind, from: a, to: b });
  }
  return pieces;
}
