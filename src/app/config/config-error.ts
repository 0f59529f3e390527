// Every configuration problem at once, each told as `<setting><path>: <message>`.
import type { z } from 'zod';

export class ConfigError extends Error {
  // Private (never serialized or logged): lets a caller be authenticated before any problem is shown.
  readonly #webhookSecrets: readonly string[] | undefined;
  readonly #operatorAccess: { easyAuth: boolean; role?: string | undefined };
  constructor(
    readonly problems: string[],
    webhookSecrets?: readonly string[],
    operatorAccess: { easyAuth: boolean; role?: string | undefined } = { easyAuth: false },
  ) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.#webhookSecrets = webhookSecrets;
    this.#operatorAccess = operatorAccess;
  }

  /** WEBHOOK_SECRETS when that setting itself is valid, whatever else is wrong. */
  webhookSecrets(): readonly string[] | undefined {
    return this.#webhookSecrets;
  }

  /** How operator actions are authorized, whatever else is wrong (role undefined: OPERATOR_ROLE is invalid). */
  operatorAccess(): { easyAuth: boolean; role?: string | undefined } {
    return this.#operatorAccess;
  }
}

export function formatIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `${prefix}${path}`.replace(/^\./, '') + `: ${i.message}`;
  });
}
