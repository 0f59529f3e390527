// Export OpenTelemetry (the product's metrics, plus traces and logs) to Application Insights
// through @azure/monitor-opentelemetry, only when APPLICATIONINSIGHTS_CONNECTION_STRING is set.
// Importing this module does nothing: the distro is loaded by startTelemetry, so a function app
// without the setting neither pays its start-up cost nor risks a throw at import.
// Call it first thing in the entry file (before other modules load, so HTTP instrumentation
// can patch them, and before metrics.ts takes its meter). OTEL_METRIC_EXPORT_INTERVAL (ms)
// sets how often metrics are exported (default 60000).
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';

export interface TelemetryHandle {
  started: boolean;
  /** Flush what is pending and stop exporting. */
  shutdown(): Promise<void>;
}

export interface TelemetryLog {
  info(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

interface Distro {
  useAzureMonitor(options?: AzureMonitorOpenTelemetryOptions): void;
  shutdownAzureMonitor(): Promise<void>;
}

let current: TelemetryHandle | undefined;

function loadDistro(): Distro {
  // Loaded here, not at the top: see the header.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@azure/monitor-opentelemetry') as Distro;
}

const notStarted: TelemetryHandle = { started: false, shutdown: () => Promise.resolve() };

/** The host part of IngestionEndpoint=…, for a log line (the key stays out of logs). */
export function ingestionHost(connectionString: string): string | undefined {
  const m = /(?:^|;)\s*IngestionEndpoint=([^;]+)/i.exec(connectionString);
  if (!m?.[1]) return undefined;
  try {
    return new URL(m[1].trim()).host;
  } catch {
    return undefined;
  }
}

/**
 * Start exporting when the connection string is set; otherwise do nothing. Idempotent: a second
 * call returns the first call's handle. A broken connection string is logged (without itself)
 * and leaves the app running without telemetry rather than failing every function.
 */
export function startTelemetry(
  env: Record<string, string | undefined> = process.env,
  log?: TelemetryLog,
): TelemetryHandle {
  if (current) return current;
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return notStarted;
  try {
    const distro = loadDistro();
    distro.useAzureMonitor({ azureMonitorExporterOptions: { connectionString } });
    current = {
      started: true,
      shutdown: async () => {
        current = undefined;
        await distro.shutdownAzureMonitor();
      },
    };
    log?.info('telemetry.started', { ingestionHost: ingestionHost(connectionString) });
    return current;
  } catch (err) {
    log?.error('telemetry.failed', { error: err instanceof Error ? err.name : 'unknown error' });
    return notStarted;
  }
}
