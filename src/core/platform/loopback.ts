// Whether a URL points at this machine: the only place plain http and loopback-only tokens are
// allowed. Parsed with URL, so `localhost.example.com` or `127.0.0.1.evil.com` are not loopback.

const IPV4_LOOPBACK = /^127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** localhost exactly, 127.0.0.0/8, or ::1 (URL keeps IPv6 hosts in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || IPV4_LOOPBACK.test(host);
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

export function isPlainHttpLoopback(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

/**
 * Why a URL may not be used as an endpoint, or undefined when it may: https anywhere, plain http
 * only to loopback. Decided on the parsed scheme (`HTTP://` is http too), never on the text.
 */
export function endpointProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an http(s) URL';
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:')
    return isLoopbackHost(u.hostname) ? undefined : 'plain http:// is accepted only for loopback addresses';
  return 'must be an https:// URL';
}
