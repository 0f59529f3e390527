// The shape of the one registration table that both the Functions host (index.ts) and the local
// host (dev/local-host.ts) read, so routes and handlers cannot drift between them.
import type { HttpHandler, HttpMethod, TimerHandler } from '@azure/functions';

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
