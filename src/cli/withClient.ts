// Runs a command body with a connected client and always closes it.
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../config';
import { connectClient } from '../temporalConnection';

export async function withClient<T>(work: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    return await work(client, config);
  } finally {
    await client.connection.close();
  }
}
