// Imported first by the entry file (index.ts), so OpenTelemetry is set up before any other module
// loads (HTTP instrumentation patches modules as they load, and the product's meter must come
// from the exporting provider). Per Microsoft's guidance for the Node.js worker with host.json
// `telemetryMode: OpenTelemetry`: the worker exports through @azure/monitor-opentelemetry, and
// only when APPLICATIONINSIGHTS_CONNECTION_STRING is set; startTelemetry never throws.
// The local host (dev/local-host.ts) starts it through the same startAppTelemetry.
// Deep import on purpose: the app's face would load every module before telemetry starts.
import { startAppTelemetry } from '../app/platform/telemetry';

export const telemetry = startAppTelemetry(process.env);
