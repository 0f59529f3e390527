// Export OpenTelemetry (the product's metrics, plus traces and logs) to Application Insights
// through @azure/monitor-opentelemetry, only when APPLICATIONINSIGHTS_CONNECTION_STRING is set.
// Importing this module does nothing: the distro is loaded by startTelemetry, so a function app
// without the setting neither pays its start-up cost nor risks a throw at import.
// Call it first thing in the entry file (before other modules load, so HTTP instrumentation
// can patch them, and before metrics.ts takes its meter). OTEL_METRIC_EXPORT_INTERVAL (ms)
// sets how often metrics are exported (default 60000).
//
// Entra ID: with local authentication off on Application Insights (as infra/ deploys it), the
// ingestion endpoint refuses instrumentation-key-only posts, and the JS exporter does not read
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING itself (only the Functions host does). So whenever that
// setting says `Authorization=AAD`, or a user-assigned identity is configured (AZURE_CLIENT_ID), the
// exporter gets a ManagedIdentityCredential for that identity (the ClientId= of the authentication
// string first, else AZURE_CLIENT_ID; neither: the system-assigned identity).
import type { TokenCredential } from '@azure/core-auth';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { Logger, consoleSink } from './logger';

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

/** Which identity the exporter authenticates as, or undefined for the instrumentation key alone. */
export function telemetryIdentity(
  env: Record<string, string | undefined>,
): { clientId: string | undefined } | undefined {
  const auth = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.trim() ?? '';
  const part = (name: string) =>
    new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*([^;]*)`, 'i').exec(auth)?.[1]?.trim() || undefined;
  const clientId = part('ClientId') ?? (env.AZURE_CLIENT_ID?.trim() || undefined);
  if (/^aad$/i.test(part('Authorization') ?? '') || clientId) return { clientId };
  return undefined;
}

/** The distro's options for these settings: the connection string, and the credential (above). */
export function telemetryOptions(
  env: Record<string, string | undefined>,
  connectionString: string,
): AzureMonitorOpenTelemetryOptions {
  const identity = telemetryIdentity(env);
  if (!identity) return { azureMonitorExporterOptions: { connectionString } };
  // Loaded here, not at the top: see the header.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
  const credential: TokenCredential = identity.clientId
    ? new ManagedIdentityCredential({ clientId: identity.clientId })
    : new ManagedIdentityCredential();
  return { azureMonitorExporterOptions: { connectionString, credential } };
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
    distro.useAzureMonitor(telemetryOptions(env, connectionString));
    current = {
      started: true,
      shutdown: async () => {
        current = undefined;
        await distro.shutdownAzureMonitor();
      },
    };
    const identity = telemetryIdentity(env);
    log?.info('telemetry.started', {
      ingestionHost: ingestionHost(connectionString),
      authentication: identity
        ? `managed identity ${identity.clientId ?? '(system-assigned)'}`
        : 'instrumentation key',
    });
    return current;
  } catch (err) {
    log?.error('telemetry.failed', { error: err instanceof Error ? err.name : 'unknown error' });
    return notStarted;
  }
}

/**
 * The one way a process of this app starts telemetry: the Functions entry file
 * (src/functions/telemetry-start.ts, over process.env) and the local host (`npm run dev`, over its
 * settings) both call this, so they export alike.
 */
export function startAppTelemetry(env: Record<string, string | undefined>): TelemetryHandle {
  return startTelemetry(env, new Logger(consoleSink, { hook: 'telemetry' }));
}
