// The words a configuration problem is told in: zod's own messages ("Invalid input: expected
// number, received NaN") become sentences about the setting, passed to every parse of the schema.
// A message written in the schema itself always wins. Values are quoted only where they cannot
// be a secret (a number, or a choice among fixed values, clipped).
import type { z } from 'zod';

type RawIssue = z.core.$ZodRawIssue;

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

function kindOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'number') return Number.isNaN(input) ? 'not a number' : `the number ${input}`;
  if (typeof input === 'string') return 'text';
  if (typeof input === 'boolean') return `${input}`;
  if (typeof input === 'object') return 'an object';
  return typeof input;
}

const EXPECTED: Record<string, string> = {
  string: 'text (a JSON string)',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list ([...])',
  object: 'an object ({...})',
};

function invalidType(issue: RawIssue & { expected: string }): string {
  if (issue.input === undefined) return 'is required';
  const expected = EXPECTED[issue.expected] ?? issue.expected;
  // z.coerce.number() of text that is no number: the setting's text is not shown (it may be long).
  if (typeof issue.input === 'number' && Number.isNaN(issue.input)) return `must be ${expected}`;
  return `must be ${expected}, not ${kindOf(issue.input)}`;
}

function bound(
  issue: RawIssue & { origin: string; inclusive?: boolean },
  limit: number | bigint,
  big: boolean,
) {
  const n = Number(limit);
  switch (issue.origin) {
    case 'array':
    case 'set':
      if (!big && n === 1) return 'must list at least one entry';
      return `must list ${big ? 'at most' : 'at least'} ${n} entr${n === 1 ? 'y' : 'ies'}`;
    case 'string':
      if (!big && n === 1) return 'must not be empty';
      return `must be ${big ? 'at most' : 'at least'} ${n} character${n === 1 ? '' : 's'} long`;
    default: {
      const word = big
        ? issue.inclusive === false
          ? 'less than'
          : 'at most'
        : issue.inclusive === false
          ? 'greater than'
          : 'at least';
      const got = typeof issue.input === 'number' ? ` (it is ${issue.input})` : '';
      return `must be ${word} ${n}${got}`;
    }
  }
}

/** zod's error map for the configuration (undefined: keep the message the schema gave). */
export function configIssueMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return invalidType(issue);
    case 'too_small':
      return bound(issue, issue.minimum, false);
    case 'too_big':
      return bound(issue, issue.maximum, true);
    case 'invalid_value': {
      const choices = issue.values.map((v) => JSON.stringify(v)).join(', ');
      const got = typeof issue.input === 'string' ? `, not ${JSON.stringify(clip(issue.input))}` : '';
      return issue.values.length === 1 ? `must be ${choices}${got}` : `must be one of ${choices}${got}`;
    }
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => JSON.stringify(clip(k))).join(', ');
      const known = knownKeys(issue.inst);
      return (
        `has no setting ${keys} (a misspelt key would be ignored, so unknown keys are refused)` +
        (known.length > 0 ? `; it takes ${known.join(', ')}` : '')
      );
    }
    case 'invalid_format':
      if (issue.format === 'url') return 'must be a URL such as https://example.com';
      if (issue.format === 'regex') return 'has characters that are not allowed here';
      return `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'matches none of the accepted forms';
    default:
      return undefined;
  }
}

/** The keys an object schema takes (for an unknown key's message); none if it is not one. */
function knownKeys(inst: unknown): string[] {
  const shape = (inst as { shape?: unknown } | undefined)?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

/** Parse options that give every issue of the configuration these words. */
export const CONFIG_PARSE_OPTIONS = { error: configIssueMessage } as const;
