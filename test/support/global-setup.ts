// Starts one in-memory Azurite (Table service) on a free port for the whole test run and
// stops it afterwards. Tests read its connection string from AZURITE_TABLE_CONNECTION.
import { startAzurite, type AzuriteHandle } from '../../dev/azurite';

let azurite: AzuriteHandle | undefined;

export async function setup(): Promise<void> {
  azurite = await startAzurite({ inMemory: true });
  process.env.AZURITE_TABLE_CONNECTION = azurite.connectionString;
  process.env.AZURITE_TABLE_PORT = String(azurite.port);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}
