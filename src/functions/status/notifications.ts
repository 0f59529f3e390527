// GET /api/notifications: recent notification deliveries, newest first. Thin: parse, run, map.
import type { HttpHandler } from '@azure/functions';
import { listNotifications, parseNotificationsLimit } from '../../app/status';
import { json, withErrorMapping } from '../platform';
import type { HttpRegistration, ResolveDeps } from '../platform';
import { badQuery } from './releases';

export function makeNotificationsHandler(resolveDeps: ResolveDeps): HttpHandler {
  return withErrorMapping(async (request) => {
    const limit = parseNotificationsLimit(request.query.get('limit') ?? undefined);
    if (!limit.ok) return badQuery([{ parameter: 'limit', message: limit.message }]);
    return json(200, await listNotifications(resolveDeps(), limit.limit));
  });
}

export function notificationsRegistration(resolveDeps: ResolveDeps): HttpRegistration {
  return {
    name: 'notifications',
    methods: ['GET'],
    route: 'notifications',
    authLevel: 'function',
    handler: makeNotificationsHandler(resolveDeps),
  };
}
