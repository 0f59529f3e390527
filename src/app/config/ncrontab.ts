// RECONCILE_SCHEDULE as the Functions host reads a timer schedule: NCRONTAB with six fields,
// seconds first (`{second} {minute} {hour} {day} {month} {day-of-week}`). NCrontab's grammar:
// each field is a comma-separated list of `*`, `n` or `n-m`, each optionally `/step`; month and
// day-of-week also take names (any prefix of the English name: Jan, Mon, Monday). croner (mode
// "6-part", day and day-of-week both required as NCrontab does) then reads the expression,
// numbers only, and says whether it ever fires and when next. croner alone accepts more than the host (`L`, `W`, `#`, `?`, `@hourly`, weekday 7), so
// this grammar is checked first.
import { Cron } from 'croner';
import { errorMessage } from '../../core/platform';

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

const FIELDS: readonly Field[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, names: DAYS },
];

const EXAMPLE = '"*/30 * * * * *" runs every 30 seconds, "0 */5 * * * *" every five minutes';
const ELEMENT = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/;

class ScheduleProblem extends Error {}

/** A value of a field as NCrontab reads it: digits, or (month, day-of-week) a prefix of a name. */
function valueOf(field: Field, text: string): number {
  let value: number;
  if (/^\d+$/.test(text)) value = Number(text);
  else {
    const i = field.names?.findIndex((n) => n.toLowerCase().startsWith(text.toLowerCase())) ?? -1;
    if (i < 0)
      throw new ScheduleProblem(
        field.names
          ? `"${text}" is not a ${field.name} (use ${field.min}-${field.max} or a name such as ${field.names[1]?.slice(0, 3)})`
          : `"${text}" is not a number from ${field.min} to ${field.max} (NCRONTAB has no L, W, # or ?)`,
      );
    value = i + field.min;
  }
  if (value < field.min || value > field.max)
    throw new ScheduleProblem(
      `${value} is out of range (the ${field.name} goes from ${field.min} to ${field.max})`,
    );
  return value;
}

/** One field, checked and rewritten with numbers only (NCrontab swaps a reversed range). */
function normalizeField(field: Field, text: string): string {
  return text
    .split(',')
    .map((element) => {
      const m = ELEMENT.exec(element);
      if (!m?.[1])
        throw new ScheduleProblem(
          `"${element}" is not NCRONTAB syntax (the Functions host takes numbers, names, *, n-m, lists with "," and steps with "/"; not L, W, # or ?)`,
        );
      const step = m[2] === undefined ? '' : `/${Number(m[2])}`;
      if (m[2] !== undefined && Number(m[2]) === 0) throw new ScheduleProblem(`"${element}" has a step of 0`);
      if (m[1] === '*') return `*${step}`;
      const [from, to] = m[1].split('-') as [string, string | undefined];
      const a = valueOf(field, from);
      if (to === undefined) return step ? `${a}-${field.max}${step}` : String(a);
      const b = valueOf(field, to);
      return `${Math.min(a, b)}-${Math.max(a, b)}${step}`;
    })
    .join(',');
}

/**
 * Why the Functions host would not run a timer on `schedule` (a sentence), or undefined when it
 * is a valid six-field NCRONTAB expression that fires.
 */
export function ncrontabProblem(schedule: string): string | undefined {
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== FIELDS.length)
    return (
      `"${schedule}" is not an NCRONTAB schedule: it needs six fields separated by spaces, ` +
      `second minute hour day month day-of-week (${EXAMPLE}); it has ${parts.length}` +
      (parts.length === 5 ? ' (a five-field crontab has no seconds: put "0 " in front)' : '')
    );
  const numeric: string[] = [];
  for (const [i, field] of FIELDS.entries()) {
    try {
      numeric.push(normalizeField(field, parts[i] ?? ''));
    } catch (e) {
      if (!(e instanceof ScheduleProblem)) throw e;
      return `"${schedule}": its ${field.name} field "${parts[i] ?? ''}": ${e.message}`;
    }
  }
  let next: Date | null;
  try {
    next = cronOf(numeric).nextRun();
  } catch (e) {
    return `"${schedule}" is not a schedule croner can read (${errorMessage(e)})`;
  }
  if (!next) return `"${schedule}" never fires: no date matches it`;
  return undefined;
}

/** The next time at or after `from` that `schedule` (valid: see ncrontabProblem) fires, in UTC. */
export function nextOccurrence(schedule: string, from: Date): Date | undefined {
  const parts = schedule.trim().split(/\s+/);
  return cronOf(FIELDS.map((f, i) => normalizeField(f, parts[i] ?? '*'))).nextRun(from) ?? undefined;
}

/** The host's reading in croner: UTC (WEBSITE_TIME_ZONE unset), day AND day-of-week. */
const cronOf = (numeric: string[]) =>
  new Cron(numeric.join(' '), { mode: '6-part', sloppyRanges: true, domAndDow: true, timezone: 'UTC' });
