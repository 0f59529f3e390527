// The shape of the one registration table that both the Functions host (index.ts) and the local
// host (dev/local-host.ts) read, so routes and handlers cannot drift between them.
import type {
  EventGridHandler,
  HttpHandler,
  HttpMethod,
  StorageQueueHandler,
  TimerHandler,
} from '@azure/functions';
import type { Deps } from '../../app/platform';

/**
 * Where a trigger gets its dependencies, called on each invocation (not at import, so a bad
 * setting fails that call with a clear 500). Production passes the composition root; tests and
 * the local host pass their own, so nothing has to write process.env.
 */
export type ResolveDeps = () => Deps;

export interface HttpRegistration {
  name: string;
  methods: HttpMethod[];
  /** Functions route template below /api, e.g. acr/events/{region?}. */
  route: string;
  authLevel: 'anonymous' | 'function' | 'admin';
  handler: HttpHandler;
}

export interface TimerRegistration {
  name: string;
  /** NCRONTAB or a %SETTING% binding expression. */
  schedule: string;
  handler: TimerHandler;
}

export interface QueueRegistration {
  name: string;
  /** The queue it reads (messages base64, as the host's default messageEncoding). */
  queueName: string;
  /** App setting (prefix) of the storage connection. */
  connection: string;
  handler: StorageQueueHandler;
}

export interface EventGridRegistration {
  name: string;
  /** One event per invocation; a throw makes Event Grid redeliver it (with back-off, up to 24 h). */
  handler: EventGridHandler;
}
