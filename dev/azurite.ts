// Starts Azurite's Table and Queue services as child processes (directly from node_modules/.bin: an npx
// wrapper would orphan the child when killed) and waits until it accepts connections.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export interface AzuriteHandle {
  /** The Table service's port. */
  port: number;
  /** The Queue service's port (absent when started without it). */
  queuePort?: number | undefined;
  connectionString: string;
  stop(): Promise<void>;
}

export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** With a queue port, the string names the Queue endpoint too (the app then uses the wake-up queue). */
export function azuriteConnectionString(port: number, queuePort?: number): string {
  const queue = queuePort ? `QueueEndpoint=http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT};` : '';
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};${queue}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.setTimeout(500, () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** A started Azurite service process: stop() ends it (SIGINT when it keeps data on disk). */
interface ServiceProcess {
  stop(): Promise<void>;
}

async function spawnService(
  service: 'table' | 'queue',
  port: number,
  opts: { inMemory?: boolean; location?: string },
): Promise<ServiceProcess> {
  const bin = path.resolve(__dirname, '..', 'node_modules', '.bin', `azurite-${service}`);
  const args = [
    `--${service}Port`,
    String(port),
    `--${service}Host`,
    '127.0.0.1',
    '--disableTelemetry',
    '--skipApiVersionCheck',
  ];
  if (opts.inMemory !== false && !opts.location) args.push('--inMemoryPersistence');
  if (opts.location) args.push('--location', opts.location);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Whatever way this process ends (process.exit included), Azurite must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!(await isListening(port))) {
    if (child.exitCode !== null) throw new Error(`azurite-${service} exited early: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`azurite-${service} did not listen on ${port} within 20 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(opts.location ? 'SIGINT' : 'SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), opts.location ? 8000 : 3000).unref();
      }),
  };
}

/**
 * Azurite's Table service and, unless `queue: false`, its Queue service (the wake-up queue),
 * one process each, on free ports (or the given ones). With `location`, Azurite keeps its
 * database on disk and is stopped with SIGINT, its graceful path: it saves on close (SIGTERM
 * would drop up to 5 s of acknowledged writes, which Azure never does).
 */
export async function startAzurite(
  opts: { port?: number; queuePort?: number; queue?: boolean; inMemory?: boolean; location?: string } = {},
): Promise<AzuriteHandle> {
  const port = opts.port ?? (await freePort());
  const table = await spawnService('table', port, opts);
  let queue: ServiceProcess | undefined;
  let queuePort: number | undefined;
  if (opts.queue !== false) {
    queuePort = opts.queuePort ?? (await freePort());
    try {
      queue = await spawnService('queue', queuePort, opts);
    } catch (err) {
      await table.stop();
      throw err;
    }
  }
  return {
    port,
    queuePort,
    connectionString: azuriteConnectionString(port, queuePort),
    stop: async () => {
      await Promise.all([table.stop(), queue?.stop()]);
    },
  };
}
