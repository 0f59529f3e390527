// The JSON API next to the page (…/api/dashboard -> …/api/releases), with the page's function key.
const code = new URLSearchParams(location.search).get('code');
// With or without a trailing slash.
const base = location.pathname.replace(/dashboard\/?$/, '');

export function apiUrl(path: string, params?: Record<string, string>): string {
  const q = new URLSearchParams(params ?? {});
  if (code) q.set('code', code);
  const s = q.toString();
  return base + path + (s ? '?' + s : '');
}

/** A route's refusal, with its HTTP status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function errorOf(label: string, res: Response): Promise<ApiError> {
  let msg = res.status + ' ' + res.statusText;
  try {
    const b = (await res.json()) as { message?: string } | null;
    if (b && b.message) msg += ': ' + b.message;
  } catch {
    // not JSON: the status line says enough
  }
  return new ApiError(label + ': ' + msg, res.status);
}

// A request that never answers must not freeze the refresh loop (it waits for each redraw):
// it is abandoned after this long and the banner says so; the next refresh tries again.
const REQUEST_TIMEOUT_MS = 15000;

async function timedFetch(label: string, url: string, init: RequestInit): Promise<string> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(url, { ...init, signal: ctl.signal });
    if (!res.ok) throw await errorOf(label, res);
    return await res.text();
  } catch (e) {
    if (ctl.signal.aborted) throw new Error(label + ': no answer within ' + REQUEST_TIMEOUT_MS / 1000 + ' s');
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

export async function getJson<T>(path: string, params?: Record<string, string>): Promise<T> {
  const text = await timedFetch(path, apiUrl(path, params), {
    cache: 'no-store',
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  return JSON.parse(text) as T;
}

/** For routes a host may not have: null on 404, so the page hides that part. */
export async function getOptional<T>(path: string, params?: Record<string, string>): Promise<T | null> {
  try {
    return await getJson<T>(path, params);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function sendJson(method: 'POST' | 'DELETE', path: string, body?: object): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, cache: 'no-store', credentials: 'same-origin', headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const text = await timedFetch(method + ' ' + path, apiUrl(path), init);
  return text ? (JSON.parse(text) as unknown) : {};
}
