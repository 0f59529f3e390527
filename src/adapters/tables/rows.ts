// Row encoding shared by the table modules: long text split across columns, JSON-valued columns,
// and the one decoding step that turns a row into a domain record or a CorruptRecordError.
import { z } from 'zod';
import { CorruptRecordError } from '../../core/model';
import type { Row, StoreTable } from './table-set';

export type Entity = { partitionKey: string; rowKey: string } & Record<string, unknown>;

/** Leaves undefined properties out (Table Storage has no "undefined"). */
export const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

// Table string properties hold 32K UTF-16 characters; long text is split across columns.
const CHUNK = 30_000;
export function putLongText(entity: Entity, name: string, text: string | undefined): void {
  if (text === undefined) return;
  const chunks = Math.max(1, Math.ceil(text.length / CHUNK));
  entity[`${name}Chunks`] = chunks;
  for (let i = 0; i < chunks; i++) entity[`${name}${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
}

/** A column holding JSON text, validated by schema after parsing. */
export const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** The system properties every row read back carries. */
export const rowKeys = { partitionKey: z.string(), rowKey: z.string(), etag: z.string() };
export const stringList = z.array(z.string());
export const count = z.number().int().nonnegative();

interface RowPlace {
  table: string;
  partitionKey: string;
  rowKey: string;
}

/** Joins a long-text column; undefined when it was never written (the schema says if that is allowed). */
function joinLongText(row: Row, name: string, place: RowPlace): string | undefined {
  const chunks = row[`${name}Chunks`];
  if (chunks === undefined) return undefined;
  const corrupt = (field: string, problem: string) => new CorruptRecordError({ ...place, field, problem });
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 1)
    throw corrupt(`${name}Chunks`, 'expected a positive chunk count');
  let out = '';
  for (let i = 0; i < chunks; i++) {
    const part = row[`${name}${i}`];
    if (typeof part !== 'string') throw corrupt(`${name}${i}`, 'missing chunk of long text');
    out += part;
  }
  return out;
}

/**
 * Validates a row against its schema. A failure names the table, the keys and the first failing
 * field; it is never replaced by a default. longTexts: columns stored with putLongText.
 */
export function decodeRow<S extends z.ZodType>(
  table: StoreTable,
  row: Row,
  schema: S,
  longTexts: readonly string[] = [],
): z.output<S> {
  const place: RowPlace = {
    table: table.name,
    partitionKey: row.partitionKey ?? '',
    rowKey: row.rowKey ?? '',
  };
  const input: Record<string, unknown> = { ...row };
  for (const name of longTexts) input[name] = joinLongText(row, name, place);
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [first, ...rest] = parsed.error.issues;
  const field = first && first.path.length > 0 ? first.path.map(String).join('.') : '(row)';
  const more =
    rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((i) => i.path.join('.')).join(', ')})` : '';
  throw new CorruptRecordError({ ...place, field, problem: `${first?.message ?? 'invalid'}${more}` });
}
