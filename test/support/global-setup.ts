// Starts one in-memory Azurite (Table and Queue services) on a free port for the whole test run and
// stops it afterwards. Tests read its connection string (both endpoints)
// from AZURITE_TABLE_CONNECTION.
import { startAzurite, type AzuriteHandle } from '../../dev/azurite';

let azurite: AzuriteHandle | undefined;

export async function setup(): Promise<void> {
  azurite = await startAzurite({ inMemory: true });
  process.env.AZURITE_TABLE_CONNECTION = azurite.connectionString;
  process.env.AZURITE_TABLE_PORT = String(azurite.port);
  process.env.AZURITE_QUEUE_PORT = String(azurite.queuePort);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}
