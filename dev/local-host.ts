// A local host for machines without Azure Functions Core Tools: serves the SAME registration
// table (src/functions/registrations.ts) over HTTP at /api/... and runs the timers. It refuses to
// start with an invalid configuration (naming every problem), and with UseDevelopmentStorage=true
// starts its own in-memory Azurite (dev/local-storage.ts says which storage it uses and why).
// `func start` remains the production-like path for those who have Core Tools.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { HttpRequest, InvocationContext, type HttpResponseInit, type Timer } from '@azure/functions';
import { appDeps } from '../src/app/composition';
import { checkConfig } from '../src/app/config/check';
import type { Deps } from '../src/app/platform/deps';
import { startAppTelemetry } from '../src/app/platform/telemetry';
import { nextOccurrence } from '../src/app/config/ncrontab';
import { makeRegistrations } from '../src/functions/registrations';
import type { HttpRegistration, ResolveDeps } from '../src/functions/platform/registration';
import {
  startQueuePoller,
  type LocalQueueOptions,
  type LocalQueuePoller,
  type QueueStats,
} from './local-queue';
import { fixHint, localSettings } from './local-settings';
import { LocalSetupError, portSetting, prepareLocalStorage } from './local-storage';
import { preparePageScript } from './build-page';
import { EVENT_GRID_PATH, serveEventGrid } from './local-event-grid';
import { runUntilSignalled } from './process-main';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Why a browser page must not reach this host with this request, or undefined. The host listens
 * on loopback without keys, so any page open in a browser on this machine could otherwise post
 * to it: a foreign Host is DNS rebinding, a foreign Origin another site, and a body that is not
 * JSON is what a cross-site form or a "simple" fetch can send without a CORS preflight (which
 * this host never grants). Its own status page, the demo, the simulators and curl pass.
 */
export function refusedRequest(
  req: Pick<http.IncomingMessage, 'headers'>,
  port: number,
): { status: 403 | 415; error: string; message: string } | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = req.headers.host?.toLowerCase();
  if (host !== undefined && !hosts.includes(host))
    return {
      status: 403,
      error: 'forbidden',
      message: `this local host answers only requests for ${hosts.join(' or ')} (Host was ${JSON.stringify(host.slice(0, 100))})`,
    };
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin.toLowerCase() === `http://${h}`))
    return {
      status: 403,
      error: 'forbidden',
      message: `this local host answers no request from another origin (${JSON.stringify(origin.slice(0, 100))})`,
    };
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (hasBody && type !== 'application/json')
    return {
      status: 415,
      error: 'unsupported-media-type',
      message: 'a request with a body must send Content-Type: application/json',
    };
  return undefined;
}

export interface LocalHostOptions {
  port?: number;
  /** Settings; default: local.settings.json (or the sample) overridden by process.env. */
  settings?: Record<string, string>;
  /** The settings file `settings` came from, named when they are invalid (default: the one read). */
  settingsFile?: string | undefined;
  /** Run the timers (default true). */
  timers?: boolean;
  /** Serve the queue triggers from the storage's queue service, when it has one (default true). */
  queues?: boolean;
  /** The queue trigger's host settings and injected failures (tests, chaos). */
  queueHost?: Pick<LocalQueueOptions, 'settings' | 'failWhen'>;
  /** Print one line per request (default true). */
  logRequests?: boolean;
  /** Where function logs go (default: stdout, one JSON line each). */
  log?: (level: string, message: string) => void;
  /** Where the functions get their deps; default: the composition root over `settings`. */
  resolveDeps?: ResolveDeps;
}

export interface LocalHost {
  url: string;
  port: number;
  /** Runs every timer function once now (tests and the demo use it to step time). */
  runTimers(): Promise<void>;
  /** The settings it runs with (appDeps(settings) is the functions' own deps by default). */
  settings: Record<string, string>;
  /** The dependencies the functions use (tests read the store through them). */
  deps(): Deps;
  /** What each served queue trigger did so far, by function name (none without a queue). */
  queueStats(): Record<string, QueueStats>;
  stop(): Promise<void>;
}

export const LOCAL_HOST_USAGE = `usage: npm run dev [-- --help]

Serves the app's functions at http://127.0.0.1:\${PORT:-7071}/api/... and runs its timer, with the
settings of local.settings.json's Values (else local.settings.sample.json's), overridden by the
environment. With ROLLOUT_STORAGE=UseDevelopmentStorage=true it starts its own in-memory Azurite
(AZURITE_PORT, default any free port). \`npm run check-config\` checks the settings first.
Ctrl-C stops it. Everything else is in docs/operating.md, "Running locally".`;

/** Functions route template -> regex with named groups ({name} and optional {name?}). */
export function compileRoute(template: string): RegExp {
  let source = '';
  for (const segment of template.split('/')) {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\?)?\}$/.exec(segment);
    if (!param) source += `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    else if (param[2]) source += `(?:/(?<${param[1]}>[^/]+))?`;
    else source += `/(?<${param[1]}>[^/]+)`;
  }
  return new RegExp(`^/api${source}/?$`);
}

/**
 * Runs `run` at each time the NCRONTAB `schedule` names (UTC, as the Functions host by default),
 * until the returned stop is called. The configuration check has already refused an invalid one.
 */
export function onSchedule(schedule: string, run: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    const next = nextOccurrence(schedule, new Date());
    if (stopped || !next) return;
    // A timer fires at most ~24.8 days ahead; a later occurrence re-arms on the way.
    timer = setTimeout(
      () => {
        if (Date.now() >= next.getTime()) run();
        arm();
      },
      Math.min(Math.max(0, next.getTime() - Date.now()), 2 ** 31 - 1),
    );
  };
  arm();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function writeResponse(res: http.ServerResponse, out: HttpResponseInit): Promise<void> {
  const headers: Record<string, string> = {};
  if (out.headers) new Headers(out.headers).forEach((v, k) => (headers[k] = v));
  let body: Buffer = Buffer.alloc(0);
  if (out.jsonBody !== undefined) {
    body = Buffer.from(JSON.stringify(out.jsonBody));
    headers['content-type'] ??= 'application/json; charset=utf-8';
  } else if (typeof out.body === 'string') body = Buffer.from(out.body);
  else if (out.body instanceof Uint8Array) body = Buffer.from(out.body);
  else if (out.body !== undefined && out.body !== null)
    body = Buffer.from(
      await new Response(out.body as ConstructorParameters<typeof Response>[0]).arrayBuffer(),
    );
  res.writeHead(out.status ?? 200, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

export async function startLocalHost(opts: LocalHostOptions = {}): Promise<LocalHost> {
  // A copy: the storage step below may point it at the Azurite this host starts.
  const read = opts.settings ? { file: opts.settingsFile, settings: opts.settings } : localSettings();
  const settings = { ...read.settings } as Record<string, string>;
  // The same check as the app-start hook in Azure, but here a broken configuration stops the start.
  const check = checkConfig(settings);
  if (!check.ok) throw new LocalSetupError(check.problems, fixHint(read));
  // The status page's script, bundled from its TypeScript sources: no build needed before a dev run.
  preparePageScript();
  const emit =
    opts.log ??
    ((level: string, message: string) => (level === 'error' ? console.error(message) : console.log(message)));
  const logHandler = (level: string, ...args: unknown[]) =>
    emit(level, args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));

  // Telemetry as the Functions entry file starts it (same function), before any metric is taken:
  // with APPLICATIONINSIGHTS_CONNECTION_STRING set the local host exports too.
  const telemetry = startAppTelemetry(settings);
  const storage = await prepareLocalStorage(settings);
  const azurite = storage.azurite;
  if (storage.connectionString !== undefined) settings.ROLLOUT_STORAGE = storage.connectionString;
  // The same composition root as in Azure, over these settings instead of process.env.
  const resolveDeps = opts.resolveDeps ?? (() => appDeps(settings));
  const queue = resolveDeps().config.queue;
  const {
    http: httpRegistrations,
    timers: timerRegistrations,
    queues: queueRegistrations,
    eventGrid: eventGridRegistrations,
  } = makeRegistrations(resolveDeps, { local: true }, queue?.queueName ?? 'rollout-work');
  emit('information', `local-host: ${storage.description}`);

  const routes = httpRegistrations.map((r) => ({ reg: r, pattern: compileRoute(r.route) }));
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };

  let ownPort = 0;
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = Date.now();
    const refused = refusedRequest(req, ownPort);
    if (refused) {
      req.resume();
      const { status, ...jsonBody } = refused;
      await writeResponse(res, { status, jsonBody });
      if (opts.logRequests !== false)
        emit('information', `${req.method} ${req.url ?? '/'} ${status} refused: ${refused.error}`);
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    let match: { reg: HttpRegistration; params: Record<string, string> } | undefined;
    let methodMismatch = false;
    for (const { reg, pattern } of routes) {
      const m = pattern.exec(url.pathname);
      if (!m) continue;
      if (!reg.methods.includes((req.method ?? 'GET') as never)) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) {
        if (v === undefined) continue;
        try {
          params[k] = decodeURIComponent(v);
        } catch {
          // Malformed percent-encoding: keep the raw segment; the handler validates it (404/400).
          params[k] = v;
        }
      }
      match = { reg, params };
      break;
    }
    let status = 404;
    try {
      if (url.pathname.toLowerCase() === EVENT_GRID_PATH && req.method === 'POST') {
        const body = await readBody(req);
        const out =
          body === 'too-large'
            ? {
                status: 413,
                jsonBody: { error: 'payload-too-large', message: `the body exceeds ${MAX_BODY_BYTES} bytes` },
              }
            : await track(
                serveEventGrid(
                  {
                    functionName: url.searchParams.get('functionName'),
                    eventType:
                      typeof req.headers['aeg-event-type'] === 'string'
                        ? req.headers['aeg-event-type']
                        : undefined,
                    body,
                  },
                  eventGridRegistrations,
                  logHandler,
                ),
              );
        status = out.status ?? 200;
        await writeResponse(res, out);
        return;
      }
      if (!match) {
        status = methodMismatch ? 405 : 404;
        await writeResponse(res, {
          status,
          jsonBody: {
            error: methodMismatch ? 'method-not-allowed' : 'not-found',
            message: `no function serves ${req.method} ${url.pathname}`,
          },
        });
        return;
      }
      const body = await readBody(req);
      if (body === 'too-large') {
        status = 413;
        await writeResponse(res, {
          status,
          jsonBody: { error: 'payload-too-large', message: `the body exceeds ${MAX_BODY_BYTES} bytes` },
        });
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const request = new HttpRequest({
        method: req.method ?? 'GET',
        url: url.toString(),
        headers,
        params: match.params,
        query: Object.fromEntries(url.searchParams),
        body: body.length > 0 ? { bytes: body } : undefined,
      });
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: match.reg.name,
        logHandler,
      });
      const out = await track(Promise.resolve(match.reg.handler(request, context)));
      status = out.status ?? 200;
      await writeResponse(res, out);
    } catch (err) {
      status = 500;
      if (!res.headersSent)
        await writeResponse(res, { status, jsonBody: { error: 'internal', message: 'local host error' } });
      emit('error', `local-host: ${String(err)}`);
    } finally {
      if (opts.logRequests !== false)
        emit('information', `${req.method} ${url.pathname} ${status} ${Date.now() - started}ms`);
    }
  };

  const server = http.createServer((req, res) => void handle(req, res));
  // Far above the clients' own idle timeout (undici: 4 s), so a client never sends on a socket the
  // server is closing at that moment (an ECONNRESET on a loaded machine).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const wanted = opts.port ?? 7071;
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new LocalSetupError([
              `PORT=${wanted}: the port is in use; set PORT to a free port (0 = any free one)`,
            ])
          : err,
      ),
    );
    server.listen(wanted, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  }).catch(async (err: unknown) => {
    await azurite?.stop();
    throw err;
  });
  ownPort = port;

  const runTimer = async (t: (typeof timerRegistrations)[number]) => {
    const context = new InvocationContext({ invocationId: randomUUID(), functionName: t.name, logHandler });
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: '', next: '', lastUpdated: '' },
    };
    try {
      await Promise.resolve(t.handler(timer, context));
    } catch (err) {
      emit('error', `timer ${t.name} failed: ${String(err)}`);
    }
  };
  const schedules: Array<() => void> = [];
  const running = new Map<string, Promise<void>>();
  const runOnce = (t: (typeof timerRegistrations)[number]) => {
    // Like the Functions host, a timer never overlaps itself within one instance.
    const existing = running.get(t.name);
    if (existing) return existing;
    const p = track(runTimer(t)).finally(() => running.delete(t.name));
    running.set(t.name, p);
    return p;
  };
  if (opts.timers !== false) {
    for (const t of timerRegistrations) {
      const schedule = t.schedule.replace(
        /^%(\w+)%$/,
        (_, name: string) => settings[name] ?? '*/30 * * * * *',
      );
      schedules.push(onSchedule(schedule, () => void runOnce(t)));
    }
  }

  // The queue triggers, with the Functions host's polling, visibility and poison-queue semantics.
  const pollers: Array<{ name: string; poller: LocalQueuePoller }> = [];
  try {
    if (opts.queues !== false && queue?.kind === 'connectionString') {
      for (const q of queueRegistrations) {
        const poller = await startQueuePoller({
          connectionString: queue.connectionString,
          queueName: q.queueName,
          functionName: q.name,
          handler: q.handler,
          logHandler,
          ...opts.queueHost,
        });
        pollers.push({ name: q.name, poller });
      }
      emit(
        'information',
        `local-host: serving queue ${queue.queueName} (${queueRegistrations.map((q) => q.name).join(', ')})`,
      );
    }
  } catch (err) {
    await Promise.all(pollers.map((p) => p.poller.stop()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await azurite?.stop();
    throw err;
  }

  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    runTimers: async () => {
      await Promise.all(timerRegistrations.map(runOnce));
    },
    settings,
    deps: resolveDeps,
    queueStats: () => Object.fromEntries(pollers.map((p) => [p.name, { ...p.poller.stats }])),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      schedules.forEach((stop) => stop());
      await Promise.all(pollers.map((p) => p.poller.stop()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...inFlight]);
      await azurite?.stop();
      await telemetry.shutdown(); // flushes what is pending
    },
  };
}

if (require.main === module && process.argv.slice(2).some((a) => a === '--help' || a === '-h'))
  console.log(LOCAL_HOST_USAGE);
else if (require.main === module && process.argv.length > 2) {
  console.error(`local-host: unknown argument ${JSON.stringify(process.argv[2])}\n\n${LOCAL_HOST_USAGE}`);
  process.exitCode = 2;
} else if (require.main === module) {
  runUntilSignalled('local-host', async () => {
    const problems: string[] = [];
    const port = portSetting('PORT', process.env.PORT, problems) ?? 7071;
    if (problems.length > 0) throw new LocalSetupError(problems);
    const host = await startLocalHost({ port });
    const registered = makeRegistrations(() => host.deps());
    console.log(
      `local-host: serving ${[
        ...registered.http.map((r) => `${r.methods.join(',')} /api/${r.route}`),
        ...registered.eventGrid.map((r) => `POST ${EVENT_GRID_PATH}?functionName=${r.name}`),
      ].join('; ')} at ${host.url}`,
    );
    return host;
  });
}
