// Runtime-switchable misbehaviour of the simulated ARM: HTTP errors, lost results and command
// pods that never schedule, firing once, N times, or at a rate drawn from a seeded PRNG so a
// run can be replayed.
import { seededRandom } from '../prng';

export { seededRandom };

export type FaultOperation = 'get' | 'runCommand' | 'commandResults' | 'listClusterUserCredential';

export interface FaultRule {
  on: FaultOperation;
  /** Answer with this HTTP status instead of serving the request. */
  status?: 401 | 403 | 404 | 409 | 429 | 500 | 502 | 503;
  /**
   * lost-result (commandResults): a finished command's result answers 404 from now on.
   * pod-not-scheduled (runCommand): accepted, but the command pod never runs the script.
   * hang (any): the request is read but never answered (client timeouts). A hung runCommand
   * is still executed, as ARM may have accepted it before the connection went quiet.
   */
  effect?: 'lost-result' | 'pod-not-scheduled' | 'hang';
  /** How many times the rule fires; default 1, or unlimited when a rate is given. */
  times?: number;
  /** Probability per matching request, 0..1. */
  rate?: number;
  /** Retry-After (seconds) sent with a 429 or 409. */
  retryAfterSeconds?: number;
  /** hang on runCommand: the hung command starts this much later than others (a late command). */
  commandStartDelayMs?: number;
  /** Only for this cluster (name). */
  cluster?: string;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

export function validateFaultRule(rule: FaultRule): FaultRule {
  const ops: FaultOperation[] = ['get', 'runCommand', 'commandResults', 'listClusterUserCredential'];
  if (!ops.includes(rule.on)) throw new Error(`fault.on must be one of ${ops.join(', ')}`);
  if ((rule.status === undefined) === (rule.effect === undefined))
    throw new Error('a fault has exactly one of status or effect');
  if (rule.effect === 'lost-result' && rule.on !== 'commandResults')
    throw new Error('lost-result applies to commandResults');
  if (rule.effect === 'pod-not-scheduled' && rule.on !== 'runCommand')
    throw new Error('pod-not-scheduled applies to runCommand');
  if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1))
    throw new Error('fault.rate must be within 0..1');
  return rule;
}

export class FaultBook {
  private rules: ActiveRule[] = [];
  private random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): void {
    validateFaultRule(rule);
    const remaining = rule.times ?? (rule.rate !== undefined ? Number.POSITIVE_INFINITY : 1);
    this.rules.push({ rule, remaining });
  }

  clear(): void {
    this.rules = [];
  }

  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  list(): Array<FaultRule & { remaining: number | null }> {
    return this.rules.map((r) => ({
      ...r.rule,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
    }));
  }

  /** The first rule that fires for this request, consuming one of its uses. */
  take(
    on: FaultOperation,
    cluster: string,
    accept: (rule: FaultRule) => boolean = () => true,
  ): FaultRule | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.on !== on || active.remaining <= 0) continue;
      if (rule.cluster !== undefined && rule.cluster.toLowerCase() !== cluster.toLowerCase()) continue;
      if (!accept(rule)) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      active.remaining--;
      return rule;
    }
    return undefined;
  }
}
