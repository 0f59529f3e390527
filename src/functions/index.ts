// Entry point for the Functions host: registers the table. Nothing here reads settings, so a
// bad setting fails the calls that need it with a clear message instead of the whole app.
import { app } from '@azure/functions';
import { productionRegistrations } from './registrations';

for (const r of productionRegistrations.http) {
  app.http(r.name, { methods: r.methods, route: r.route, authLevel: r.authLevel, handler: r.handler });
}
for (const t of productionRegistrations.timers) {
  app.timer(t.name, { schedule: t.schedule, handler: t.handler, runOnStartup: false, useMonitor: true });
}
