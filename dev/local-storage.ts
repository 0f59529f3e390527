// Which Table Storage the local host uses, said out loud. `UseDevelopmentStorage=true` means "the
// host's own": it starts an in-memory Azurite on a free port (or AZURITE_PORT) and points
// ROLLOUT_STORAGE at it, so it never writes silently into some other Azurite left on 10002. An
// explicit loopback connection string is an Azurite you run yourself: it must be reachable.
import { freePort, isListening, startAzurite, type AzuriteHandle } from './azurite';

export interface LocalStorage {
  /** ROLLOUT_STORAGE as the functions will read it. */
  connectionString: string | undefined;
  /** The Azurite this host started (stopped with the host). */
  azurite?: AzuriteHandle;
  /** One line for the console: what is used and why. */
  description: string;
}

export class LocalSetupError extends Error {
  /** `hint`: what to do, printed after the list and not counted as a problem. */
  constructor(
    readonly problems: string[],
    readonly hint?: string,
  ) {
    super(
      `${problems.length === 1 ? '1 problem' : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join('\n')}` +
        (hint ? `\n${hint}` : ''),
    );
    this.name = 'LocalSetupError';
  }
}

/** A port setting: empty/absent = undefined; else an integer 0-65535 (0 = a free one). */
export function portSetting(name: string, raw: string | undefined, problems: string[]): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) > 65535) {
    problems.push(
      `${name}=${JSON.stringify(raw)}: must be a port number from 0 to 65535 (0 = any free port)`,
    );
    return undefined;
  }
  return Number(raw);
}

function loopbackTableEndpoint(connectionString: string): { url: string; port: number } | undefined {
  return loopbackEndpoint(connectionString, 'TableEndpoint');
}

function loopbackEndpoint(
  connectionString: string,
  key: 'TableEndpoint' | 'QueueEndpoint',
): { url: string; port: number } | undefined {
  const endpoint = new RegExp(`${key}=([^;]+)`, 'i').exec(connectionString)?.[1];
  if (!endpoint) return undefined;
  try {
    const u = new URL(endpoint);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return undefined;
    return { url: endpoint, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return undefined;
  }
}

export async function prepareLocalStorage(
  settings: Record<string, string | undefined>,
): Promise<LocalStorage> {
  const cs = settings.ROLLOUT_STORAGE;
  if (cs && /^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(cs)) {
    const problems: string[] = [];
    const wanted = portSetting('AZURITE_PORT', settings.AZURITE_PORT, problems);
    if (problems.length > 0) throw new LocalSetupError(problems);
    if (wanted && (await isListening(wanted)))
      throw new LocalSetupError([
        `AZURITE_PORT=${wanted}: the port is in use; set AZURITE_PORT to a free port, or leave it empty for any free one`,
      ]);
    const azurite = await startAzurite({ port: wanted || (await freePort()), inMemory: true });
    return {
      connectionString: azurite.connectionString,
      azurite,
      description:
        `ROLLOUT_STORAGE=UseDevelopmentStorage=true: started an in-memory Azurite on 127.0.0.1:${azurite.port} ` +
        '(its data ends with the host; to keep data, run Azurite yourself and set ROLLOUT_STORAGE to its connection string)',
    };
  }
  const local = cs ? loopbackTableEndpoint(cs) : undefined;
  if (local) {
    if (!(await isListening(local.port)))
      throw new LocalSetupError([
        `ROLLOUT_STORAGE: nothing listens at ${local.url}; start that Azurite (npx azurite-table --tablePort ${local.port}), ` +
          'or set ROLLOUT_STORAGE=UseDevelopmentStorage=true and the host starts its own',
      ]);
    const queue = cs ? loopbackEndpoint(cs, 'QueueEndpoint') : undefined;
    if (queue && !(await isListening(queue.port)))
      throw new LocalSetupError([
        `ROLLOUT_STORAGE: nothing listens at its QueueEndpoint ${queue.url}; start that Azurite's queue service ` +
          `(npx azurite-queue --queuePort ${queue.port}), or drop QueueEndpoint to run without wake-ups`,
      ]);
    return {
      connectionString: cs,
      description: `using the Azurite at ${local.url}${queue ? ` (queue ${queue.url})` : ''} (not started by this host)`,
    };
  }
  return {
    connectionString: cs,
    description: cs
      ? 'using the storage account of ROLLOUT_STORAGE'
      : `using the tables at ${settings.ROLLOUT_STORAGE__tableServiceUri ?? '?'}`,
  };
}
