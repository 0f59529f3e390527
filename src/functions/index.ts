// Entry point for the Functions host: registers the table. Nothing here reads settings at import,
// so a bad setting fails the calls that need it with a clear message instead of the whole app;
// the appStart hook logs every problem once when the host starts.
// First: telemetry must start before the other modules load (see telemetry-start.ts).
import './telemetry-start';
import { app } from '@azure/functions';
import { logConfigAtStart } from '../app/config';
import { Logger, consoleSink } from '../app/platform';
import { productionRegistrations } from './registrations';

app.hook.appStart(() => void logConfigAtStart(process.env, new Logger(consoleSink, { hook: 'appStart' })));

for (const r of productionRegistrations.http) {
  app.http(r.name, { methods: r.methods, route: r.route, authLevel: r.authLevel, handler: r.handler });
}
for (const q of productionRegistrations.queues) {
  app.storageQueue(q.name, { queueName: q.queueName, connection: q.connection, handler: q.handler });
}
for (const t of productionRegistrations.timers) {
  app.timer(t.name, { schedule: t.schedule, handler: t.handler, runOnStartup: false, useMonitor: true });
}
for (const e of productionRegistrations.eventGrid) {
  app.eventGrid(e.name, { handler: e.handler });
}
