// The configuration checked up front (app start in Azure, `npm run dev`, `npm run check-config`)
// with the one schema of config.ts: every problem at once, or a one-line summary without secrets.
import { ConfigError, parseConfig, type AppConfig } from './schema';
import { errorMessage, type Logger } from '../platform';

export type ConfigCheck =
  { ok: true; config: AppConfig; summary: string } | { ok: false; problems: string[] };

export function checkConfig(env: Record<string, string | undefined>): ConfigCheck {
  try {
    const config = parseConfig(env);
    return { ok: true, config, summary: summarizeConfig(config) };
  } catch (err) {
    return { ok: false, problems: err instanceof ConfigError ? err.problems : [errorMessage(err)] };
  }
}

export function summarizeConfig(c: AppConfig): string {
  const storage =
    c.storage.kind === 'identity'
      ? `tables at ${c.storage.tableServiceUri} (managed identity)`
      : /UseDevelopmentStorage=true/i.test(c.storage.connectionString)
        ? 'development storage (Azurite)'
        : 'a storage connection string';
  return [
    `${c.regions.length} region(s) (${c.regions.map((r) => `${r.name} wave ${r.wave}`).join(', ')}; home ${c.registry.homeRegion})`,
    `${c.workloads.length} workload(s)`,
    `registry ${c.registry.loginServer}`,
    storage,
    c.queue ? `wake-up queue ${c.queue.queueName}` : 'no wake-up queue (the timer alone advances releases)',
    `${c.webhookSecrets.length} webhook secret(s)`,
    c.dryRun ? 'DRY_RUN on' : 'DRY_RUN off',
    ...(c.localDevToken ? ['LOCAL_DEV_TOKEN (loopback only)'] : []),
  ].join(', ');
}

/** For the appStart hook: logs once, never throws (a throw there would stop every function). */
export function logConfigAtStart(env: Record<string, string | undefined>, log: Logger): ConfigCheck {
  const check = checkConfig(env);
  if (check.ok) log.info('config.valid', { summary: check.summary });
  else
    log.error('config.invalid', {
      problems: check.problems,
      message: 'every call that needs the configuration fails until these settings are fixed',
    });
  return check;
}
