// TLS and mutual TLS to the Temporal frontend, from the same environment
// variables the Temporal CLI reads, so one set of settings serves the
// `temporal` CLI, shardflow's CLI and its workers alike:
//   TEMPORAL_TLS=true                                 TLS with the system's CAs
//   TEMPORAL_TLS_SERVER_CA_CERT_PATH | _DATA          the server's CA (PEM)
//   TEMPORAL_TLS_CLIENT_CERT_PATH | _DATA             client certificate (mTLS)
//   TEMPORAL_TLS_CLIENT_KEY_PATH | _DATA              its private key
//   TEMPORAL_TLS_SERVER_NAME                          name to verify the server's certificate against
//   TEMPORAL_API_KEY                                  API key (turns TLS on, as in the CLI)
// Setting any of them turns TLS on unless TEMPORAL_TLS=false. The older names
// TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (paths) are read too.
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

/** Where each piece comes from: a file path or inline PEM. Read at connect time. */
interface Pem {
  path?: string;
  data?: string;
}

export interface TemporalTls {
  serverName?: string;
  serverCa?: Pem;
  clientCert?: Pem;
  clientKey?: Pem;
}

export interface TemporalAuth {
  /** Undefined: plain gRPC. */
  tls?: TemporalTls;
  apiKey?: string;
}

function pem(env: NodeJS.ProcessEnv, pathName: string, dataName: string, legacyPath: string): Pem | undefined {
  const path = env[pathName] || env[legacyPath];
  const data = env[dataName];
  if (path && data) throw new Error(`set ${pathName} or ${dataName}, not both`);
  if (!path && !data) return undefined;
  return path ? { path } : { data };
}

/** The TLS and API-key settings in `env`; throws naming the variable when they do not fit together. */
export function temporalAuthFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalAuth {
  const serverCa = pem(env, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'TEMPORAL_TLS_CA');
  const clientCert = pem(env, 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CERT');
  const clientKey = pem(env, 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'TEMPORAL_TLS_KEY');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  if (!!clientCert !== !!clientKey) throw new Error('mutual TLS needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or their _DATA forms)');
  if (/^(1|true|yes)$/i.test(env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION ?? '')) {
    throw new Error('TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported here; set TEMPORAL_TLS_SERVER_NAME to the name in the server certificate instead');
  }
  const flag = env.TEMPORAL_TLS;
  if (flag !== undefined && flag !== '' && !/^(true|false|1|0)$/i.test(flag)) throw new Error(`TEMPORAL_TLS must be true or false, got ${JSON.stringify(flag)}`);
  const asked = /^(true|1)$/i.test(flag ?? '') || !!(serverCa || clientCert || serverName || apiKey);
  const off = /^(false|0)$/i.test(flag ?? '');
  if (off && (serverCa || clientCert)) throw new Error('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* certificate settings');
  return { tls: asked && !off ? { serverName, serverCa, clientCert, clientKey } : undefined, apiKey };
}

function read(p: Pem, what: string): Buffer {
  if (p.data !== undefined) return Buffer.from(p.data);
  try {
    return readFileSync(p.path!);
  } catch (err) {
    throw new Error(`cannot read the ${what} ${p.path}: ${(err as Error).message}`);
  }
}

/** The SDK's TLS option for these settings (certificates read now). */
export function sdkTlsConfig(tls: TemporalTls | undefined): TLSConfig | undefined {
  if (!tls) return undefined;
  return {
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
    ...(tls.serverCa ? { serverRootCACertificate: read(tls.serverCa, 'server CA certificate') } : {}),
    ...(tls.clientCert && tls.clientKey ? { clientCertPair: { crt: read(tls.clientCert, 'client certificate'), key: read(tls.clientKey, 'client key') } } : {}),
  };
}
