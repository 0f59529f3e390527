// The documentation holds together: a short README, every relative link and #anchor in README.md and
// docs/*.md lands on a file and a heading that exist, each doc with several sections opens with its
// table of contents, and no table cell is a paragraph. A renamed heading or a moved file fails here.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const README_MAX_LINES = 300;
const CELL_MAX_CHARS = 200;

interface Doc {
  /** Path relative to the repository root, with forward slashes. */
  file: string;
  text: string;
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): Array<{ n: number; line: string }> {
  const out: Array<{ n: number; line: string }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1]![0];
      else if (m[1]![0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ n: i + 1, line });
  });
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped (but - and _), each space a -. */
function slug(heading: string): string {
  const plain = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images keep their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return plain.replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/ /g, '-');
}

/** The anchors a document's headings get, duplicates numbered as GitHub does (-1, -2, …). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of proseLines(text)) {
    const m = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[2]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** `[text](target)` and `![alt](target)` in prose, inline code left out. */
function links(text: string): Array<{ n: number; target: string }> {
  const out: Array<{ n: number; target: string }> = [];
  for (const { n, line } of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, '``');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      out.push({ n, target: m[1]! });
  }
  return out;
}

/** Every broken relative link or anchor among `docs`; `exists` says whether a path is there. */
function brokenLinks(docs: Doc[], exists: (file: string) => boolean): string[] {
  const byFile = new Map(docs.map((d) => [d.file, d]));
  const problems: string[] = [];
  for (const doc of docs) {
    for (const { n, target } of links(doc.text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      const hash = target.indexOf('#');
      const rel = hash === -1 ? target : target.slice(0, hash);
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const file =
        rel === '' ? doc.file : path.posix.normalize(path.posix.join(path.posix.dirname(doc.file), rel));
      const where = `${doc.file}:${n}: ${target}`;
      if (rel !== '' && !exists(file)) {
        problems.push(`${where}: no file ${file}`);
        continue;
      }
      if (anchor === undefined) continue;
      const text =
        byFile.get(file)?.text ??
        (file.endsWith('.md') ? fs.readFileSync(path.join(ROOT, file), 'utf8') : undefined);
      if (text === undefined) problems.push(`${where}: an anchor into ${file}, which is not Markdown`);
      else if (!anchors(text).has(anchor)) problems.push(`${where}: no heading "#${anchor}" in ${file}`);
    }
  }
  return problems;
}

/** A doc with more than one `##` section must link to each of them before the first one. */
function missingContents(doc: Doc): string[] {
  const lines = proseLines(doc.text);
  const sections = lines.filter(({ line }) => /^##\s/.test(line));
  if (sections.length <= 1) return [];
  const top = lines
    .filter(({ n }) => n < sections[0]!.n)
    .map(({ line }) => line)
    .join('\n');
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const { line } of sections) {
    const base = slug(line.replace(/^##\s+/, ''));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    const anchor = count === 0 ? base : `${base}-${count}`;
    if (!top.includes(`](#${anchor})`))
      problems.push(`${doc.file}: the contents at the top do not link to "## ${line.slice(3)}" (#${anchor})`);
  }
  return problems;
}

/** Table cells longer than `max` characters: those belong in prose or a list. */
function longCells(doc: Doc, max: number): string[] {
  const problems: string[] = [];
  for (const { n, line } of proseLines(doc.text)) {
    if (!/^\s*\|.*\|\s*$/.test(line)) continue;
    const cells = line
      .trim()
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    for (const c of cells)
      if (c.length > max && !/^:?-+:?$/.test(c))
        problems.push(`${doc.file}:${n}: a table cell of ${c.length} characters`);
  }
  return problems;
}

function repoDocs(): Doc[] {
  const files = [
    'README.md',
    ...fs
      .readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
  return files.map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
}

const existsInRepo = (file: string) => fs.existsSync(path.join(ROOT, file));

describe('the documentation', () => {
  const docs = repoDocs();

  it(`when the README is read, then it is at most ${README_MAX_LINES} lines`, () => {
    const readme = docs.find((d) => d.file === 'README.md')!;
    expect(readme.text.trimEnd().split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('when a link in README.md or docs/*.md is followed, then its file and its heading exist', () => {
    expect(docs.length).toBeGreaterThan(5);
    expect(brokenLinks(docs, existsInRepo)).toEqual([]);
  });

  it('when a doc has more than one section, then it opens with a table of contents linking each', () => {
    expect(docs.filter((d) => d.file.startsWith('docs/')).flatMap(missingContents)).toEqual([]);
  });

  it(`when a doc has a table, then no cell is longer than ${CELL_MAX_CHARS} characters`, () => {
    expect(docs.flatMap((d) => longCells(d, CELL_MAX_CHARS))).toEqual([]);
  });
});

describe('the link check itself', () => {
  const docs: Doc[] = [
    {
      file: 'README.md',
      text: [
        '# Tool',
        'See [the API](docs/api.md#get-apireleasesid), [setup](#quick-start) and `[code](nowhere.md)`.',
        'Broken: [gone](docs/gone.md), [anchor](docs/api.md#no-such-heading), [here](#nope).',
        '```',
        '[inside a fence](nowhere.md)',
        '```',
        '## Quick start',
      ].join('\n'),
    },
    {
      file: 'docs/api.md',
      text: '# API\n\n- [Releases](#get-apireleasesid)\n- [Errors](#errors)\n\n## `GET /api/releases/{id}`\n\n## Errors\n\n## Errors\n',
    },
  ];
  const exists = (f: string) => docs.some((d) => d.file === f);

  it('when a file, a heading in another file or a heading in the same file is missing, then each is reported', () => {
    expect(brokenLinks(docs, exists)).toEqual([
      'README.md:3: docs/gone.md: no file docs/gone.md',
      'README.md:3: docs/api.md#no-such-heading: no heading "#no-such-heading" in docs/api.md',
      'README.md:3: #nope: no heading "#nope" in README.md',
    ]);
  });

  it('when headings repeat or carry code and punctuation, then their anchors follow GitHub', () => {
    expect(slug('`GET /api/releases/{id}`')).toBe('get-apireleasesid');
    expect(slug('Access modes: Kubernetes API or Run Command')).toBe(
      'access-modes-kubernetes-api-or-run-command',
    );
    expect(slug('Access paths: gate open → change applied')).toBe('access-paths-gate-open--change-applied');
    expect(slug('Reaction (a)–(e) at `*/30`')).toBe('reaction-ae-at-30');
  });

  it('when a section is missing from the contents, then it is named', () => {
    expect(missingContents(docs[1]!)).toEqual([
      'docs/api.md: the contents at the top do not link to "## Errors" (#errors-1)',
    ]);
  });

  it('when a table cell is a paragraph, then it is reported', () => {
    const doc = { file: 'x.md', text: `| a | b |\n| - | - |\n| short | ${'x'.repeat(201)} |\n` };
    expect(longCells(doc, 200)).toEqual(['x.md:3: a table cell of 201 characters']);
  });
});
