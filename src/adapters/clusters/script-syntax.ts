// The shell syntax of the Run Command script, shared by its builder (./rollout-command.ts) and
// the simulator that executes it: the prelude, the `||` between alternatives, single quoting,
// and the tokenizer that reads a script back into argv arrays (refusing anything else).

/** First line of every script: stop at the first failing command, with its exit code. */
export const SCRIPT_PRELUDE = 'set -eu';

/** POSIX single quoting; a `'` inside becomes `'\''` (validated values never contain one). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Separates the alternatives of one step: the shell runs the next only when the previous failed. */
export const OR = '||';

export class ScriptSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ScriptSyntaxError';
  }
}

const BARE_WORD = /^[A-Za-z0-9_./=:@%+,-]$/;

/**
 * Splits a script of the shape buildRolloutScript renders back into argv arrays: bare words and
 * single-quoted strings only. Anything else (double quotes, `$`, `;`, pipes, backticks, escapes)
 * is refused, so the simulator executes only what the builder can produce.
 */
export function tokenizeScript(script: string): { prelude: string[]; steps: string[][] } {
  const prelude: string[] = [];
  const steps: string[][] = [];
  script.split('\n').forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('set ')) {
      if (line !== SCRIPT_PRELUDE)
        throw new ScriptSyntaxError(`unsupported shell option line: ${line}`, lineNo);
      prelude.push(line);
      return;
    }
    steps.push(tokenizeLine(line, lineNo));
  });
  return { prelude, steps };
}

function tokenizeLine(line: string, lineNo: number): string[] {
  const words: string[] = [];
  let current: string | undefined;
  let i = 0;
  while (i < line.length) {
    const ch = line.charAt(i);
    if (ch === ' ' || ch === '\t') {
      if (current !== undefined) words.push(current);
      current = undefined;
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ScriptSyntaxError('unterminated single quote', lineNo);
      current = (current ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '\\' && line.charAt(i + 1) === "'") {
      current = (current ?? '') + "'";
      i += 2;
    } else if (
      ch === '|' &&
      line.charAt(i + 1) === '|' &&
      current === undefined &&
      /[ \t]/.test(line.charAt(i + 2))
    ) {
      words.push(OR); // a list operator between two commands, never part of a word
      i += 2;
    } else if (BARE_WORD.test(ch)) {
      current = (current ?? '') + ch;
      i++;
    } else {
      throw new ScriptSyntaxError(
        `unsupported shell syntax near ${JSON.stringify(line.slice(i, i + 10))}`,
        lineNo,
      );
    }
  }
  if (current !== undefined) words.push(current);
  return words;
}
