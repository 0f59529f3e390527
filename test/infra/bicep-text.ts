// Just enough Bicep reading for structural tests (no Bicep compiler on these machines): strip
// comments, find balanced { } / [ ] blocks, list an object's top-level keys, list params,
// modules and outputs. String-aware: braces and // inside '...' or '''...''' do not count.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const INFRA = join(ROOT, 'infra');

export function read(path: string): string {
  return readFileSync(path, 'utf8');
}

/** All .bicep files under infra/, as absolute paths. */
export function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return bicepFiles(p);
    return e.name.endsWith('.bicep') ? [p] : [];
  });
}

/** Replace comments with spaces (offsets and line breaks are kept). */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    if (src.startsWith("'''", i)) {
      const end = src.indexOf("'''", i + 3);
      const stop = end < 0 ? src.length : end + 3;
      out += src.slice(i, stop);
      i = stop;
    } else if (src[i] === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== "'") j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += src[i];
      i += 1;
    }
  }
  return out;
}

/** Index just past the string literal starting at i (single- or triple-quoted). */
function skipString(src: string, i: number): number {
  if (src.startsWith("'''", i)) {
    const end = src.indexOf("'''", i + 3);
    return end < 0 ? src.length : end + 3;
  }
  let j = i + 1;
  while (j < src.length && src[j] !== "'") j += src[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** The balanced block (including its brackets) that opens at `open` ('{' or '['). */
export function balancedFrom(src: string, open: number): string {
  const opener = src[open];
  if (opener !== '{' && opener !== '[') throw new Error(`no block at offset ${open}`);
  let depth = 0;
  let i = open;
  while (i < src.length) {
    const ch = src[i];
    if (ch === "'") {
      i = skipString(src, i);
      continue;
    }
    if (ch === '{' || ch === '[') depth += 1;
    if (ch === '}' || ch === ']') {
      depth -= 1;
      if (depth === 0) return src.slice(open, i + 1);
    }
    i += 1;
  }
  throw new Error('unbalanced block');
}

/** The block opened by the first { or [ at or after the end of the first match of `pattern`. */
export function blockAfter(src: string, pattern: RegExp): string | undefined {
  const m = pattern.exec(src);
  if (!m) return undefined;
  const from = m.index + m[0].length;
  const open = src.slice(from).search(/[{[]/);
  return open < 0 ? undefined : balancedFrom(src, from + open);
}

/** Top-level keys of an object block `{ ... }` (identifiers or quoted keys before ':'). */
export function topLevelKeys(block: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let lineStart = true;
  let i = 0;
  while (i < block.length) {
    const ch = block[i]!;
    if (depth === 1 && lineStart) {
      const m = /^[ \t]*(?:([A-Za-z_][A-Za-z0-9_]*)|'([^']*)')[ \t]*:/.exec(block.slice(i));
      if (m) keys.push((m[1] ?? m[2])!);
      lineStart = false;
    }
    if (ch === "'") {
      i = skipString(block, i);
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth += 1;
    if (ch === '}' || ch === ']' || ch === ')') depth -= 1;
    if (ch === '\n') lineStart = true;
    i += 1;
  }
  return keys;
}

/** Single-quoted string items of an array block `[ ... ]`. */
export function stringItems(block: string): string[] {
  return [...block.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!);
}

export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
  decorators: string;
}

/** `param` declarations with the decorators written above each. */
export function params(src: string): BicepParam[] {
  const text = stripComments(src);
  const out: BicepParam[] = [];
  const re = /^param\s+([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z_][A-Za-z0-9_]*\??)(\s*=)?/gm;
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.push({ name: m[1]!, type: m[2]!, hasDefault: Boolean(m[3]), decorators: text.slice(last, m.index) });
    last = m.index + m[0].length;
  }
  // A param's decorators: the text between the previous param declaration and this one.
  return out;
}

export interface BicepModule {
  symbol: string;
  path: string;
  /** Absolute path for local modules, undefined for registry modules. */
  file?: string | undefined;
  paramKeys: string[];
}

/** `module` declarations (plain and loops) with their params' top-level keys. */
export function modules(src: string, fromFile: string): BicepModule[] {
  const text = stripComments(src);
  const out: BicepModule[] = [];
  for (const m of text.matchAll(/^module\s+([A-Za-z_][A-Za-z0-9_]*)\s+'([^']+)'\s*=/gm)) {
    const body = balancedFrom(text, m.index + m[0].length + text.slice(m.index + m[0].length).search(/[{[]/));
    const paramsBlock = blockAfter(body, /\bparams\s*:/);
    const local = !m[2]!.startsWith('br/') && !m[2]!.startsWith('br:') && !m[2]!.startsWith('ts/');
    out.push({
      symbol: m[1]!,
      path: m[2]!,
      file: local ? resolve(dirname(fromFile), m[2]!) : undefined,
      paramKeys: paramsBlock ? topLevelKeys(paramsBlock) : [],
    });
  }
  return out;
}

/** `output` names. */
export function outputs(src: string): string[] {
  return [...stripComments(src).matchAll(/^output\s+([A-Za-z_][A-Za-z0-9_]*)\s/gm)].map((m) => m[1]!);
}

/** `var <name> = { ... }` object blocks, by variable name. */
export function objectVars(src: string): Map<string, string> {
  const text = stripComments(src);
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^var\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\{/gm)) {
    out.set(m[1]!, balancedFrom(text, m.index + m[0].length - 1));
  }
  return out;
}
