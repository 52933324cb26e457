// Connecting to Temporal, with one clear sentence when nobody answers, and
// registering the search attributes our workflows set.
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from './config';
import { SEARCH_ATTRIBUTES } from './core/names';
import { sdkTlsConfig } from './temporalTls';

/** Address, TLS and API key for Connection.connect and NativeConnection.connect alike. */
export function connectionOptions(config: Config): { address: string; tls?: ReturnType<typeof sdkTlsConfig>; apiKey?: string } {
  const { tls, apiKey } = config.temporalAuth;
  return { address: config.temporalAddress, ...(tls ? { tls: sdkTlsConfig(tls) } : {}), ...(apiKey ? { apiKey } : {}) };
}

export class ServerUnreachableError extends Error {}

export async function connectClient(config: Config): Promise<Client> {
  let connection: Connection;
  // Certificates that cannot be read are the user's to fix, not an unreachable server.
  const options = connectionOptions(config);
  try {
    connection = await Connection.connect({ ...options, connectTimeout: '5s' });
  } catch (err) {
    const tls = config.temporalAuth.tls ? ` over TLS (${(err as Error).message})` : '';
    throw new ServerUnreachableError(
      `No Temporal server answers at ${config.temporalAddress}${tls}. Start one with "npx shardflow server" or set TEMPORAL_ADDRESS` +
        `${config.temporalAuth.tls ? ' and the TEMPORAL_TLS_* settings' : ''}.`,
    );
  }
  return new Client({ connection, namespace: config.namespace });
}

/** Registers the project's search attributes when missing; an unknown attribute would fail every workflow task. */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const ops = client.connection.operatorService;
  const existing = await ops.listSearchAttributes({ namespace });
  const have = { ...existing.customAttributes, ...existing.systemAttributes };
  const missing = SEARCH_ATTRIBUTES.filter((name) => !(name in have));
  if (missing.length === 0) return;
  const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  try {
    await ops.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((n) => [n, KEYWORD])) });
  } catch (err) {
    // Another worker registering at the same moment is fine.
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}
