// How durations, times, digests and releases are written on the page.

interface Named {
  repository: string;
  tag?: string | undefined;
}

export function releaseName(rel: Named): string {
  return rel.repository + (rel.tag ? ':' + rel.tag : '');
}

/** A duration; null when there is none to show. */
export function fmtMs(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return fmtDuration(ms);
}

export function fmtDuration(ms: number): string {
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  const m = Math.floor(ms / 60000);
  return m + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}

// Every time shown carries its date and zone: operators compare them across regions and days.
const TIME_FMT = new Intl.DateTimeFormat([], {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const x of TIME_FMT.formatToParts(d)) p[x.type] = x.value;
  return (
    p.year +
    '-' +
    p.month +
    '-' +
    p.day +
    ' ' +
    p.hour +
    ':' +
    p.minute +
    ':' +
    p.second +
    ' ' +
    p.timeZoneName
  );
}

/** The same moment as fmtTime, from epoch milliseconds. */
export function fmtEpoch(t: number): string {
  return fmtTime(new Date(t).toISOString());
}

export function shortDigest(d: string | null | undefined): string {
  if (!d) return '';
  const i = d.indexOf(':');
  return i >= 0 ? d.slice(i + 1, i + 13) : d.slice(0, 12);
}

/** Epoch milliseconds of an ISO time; null when absent or unreadable. */
export function ms(iso: string | null | undefined): number | null {
  const t = iso ? Date.parse(iso) : NaN;
  return isNaN(t) ? null : t;
}

export function messageOf(e: unknown): string {
  return e instanceof Error && e.message ? e.message : String(e);
}
