// Connecting to Temporal, with one clear sentence when nobody answers, and
// registering the search attributes our workflows set.
import * as net from 'node:net';
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

/** Whether anything accepts a TCP connection at host:port within 2 s. */
function acceptsConnections(address: string): Promise<boolean> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** How long a busy server may take to answer before we give up; nothing listening fails at once. */
const CONNECT_PATIENCE_MS = 20_000;

export async function connectClient(config: Config): Promise<Client> {
  // Certificates that cannot be read are the user's to fix, not an unreachable server.
  const options = connectionOptions(config);
  const unreachable = (reason: string) =>
    new ServerUnreachableError(
      `No Temporal server answers at ${config.temporalAddress}${config.temporalAuth.tls ? ' over TLS' : ''} (${reason}). ` +
        `Start one with "npx shardflow server" or set TEMPORAL_ADDRESS${config.temporalAuth.tls ? ' and the TEMPORAL_TLS_* settings' : ''}.`,
    );
  // Nothing listening fails at once; a server that accepts connections but is slow to answer (under load) gets time.
  if (!(await acceptsConnections(config.temporalAddress))) throw unreachable('nothing accepts connections there');
  const deadline = Date.now() + CONNECT_PATIENCE_MS;
  for (;;) {
    try {
      const connection = await Connection.connect({ ...options, connectTimeout: '5s' });
      return new Client({ connection, namespace: config.namespace });
    } catch (err) {
      if (Date.now() >= deadline) throw unreachable((err as Error).message);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
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
