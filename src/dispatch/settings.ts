// Where dispatched activities go, read from the worker's environment (and CLI
// flags). Credentials live here only: never in job input, never logged.
import { DEFAULT_DISPATCHED, FC_ACTIVITIES } from '../fc/contract';
import { FC_SECRET_ENV, invokeSecretFromEnv, isLoopbackHost } from '../fc/invokeAuth';

/** What a function serves: shard encodes, audio encodes, and the function calls of flow Task states (main queue). */
export const DISPATCHABLE: readonly string[] = FC_ACTIVITIES;

export type DispatchMode = 'fc' | 'http';

export interface FcTarget {
  /** host[:port] of the FC API, e.g. 1234.cn-hangzhou.fc.aliyuncs.com or 127.0.0.1:9100 for a local stand-in. */
  endpoint: string;
  protocol: 'http' | 'https';
  regionId: string;
  functionName: string;
  qualifier?: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface DispatchSettings {
  mode: DispatchMode;
  /** Activity names that run remotely; the rest of the media activities stay on this worker. */
  activities: string[];
  /** Dispatched calls in flight at once: the function's concurrency quota, not local cores. */
  concurrency: number;
  /** The function's timeout; the worker gives up waiting a little after it and retries. */
  functionTimeoutSeconds: number;
  fc?: FcTarget;
  /** Base URL of a service speaking POST /invoke (http mode). */
  httpEndpoint?: string;
  /** Shared secret that signs every call (SHARDFLOW_FC_SECRET); the function refuses unsigned calls unless it has none. */
  secret?: string;
}

export interface DispatchFlags {
  mode: string;
  endpoint?: string;
  activities?: string;
  concurrency?: string;
}

export const DEFAULT_DISPATCH_CONCURRENCY = 100;
export const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 900;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return n;
}

function required(env: NodeJS.ProcessEnv, ...names: string[]): string {
  for (const n of names) if (env[n]) return env[n] as string;
  throw new Error(`Function Compute calls need ${names.join(' or ')} in the environment`);
}

/** FC_ENDPOINT may carry a scheme (http://127.0.0.1:9100); the SDK wants host[:port] and a protocol apart. */
function fcEndpoint(env: NodeJS.ProcessEnv, regionId: string): { endpoint: string; protocol: 'http' | 'https' } {
  const override = env.FC_ENDPOINT;
  if (!override) return { endpoint: `${required(env, 'FC_ACCOUNT_ID')}.${regionId}.fc.aliyuncs.com`, protocol: 'https' };
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(override);
  if (m) return { endpoint: m[2], protocol: m[1] as 'http' | 'https' };
  return { endpoint: override.replace(/\/$/, ''), protocol: 'https' };
}

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}

export function dispatchSettings(flags: DispatchFlags, env: NodeJS.ProcessEnv = process.env): DispatchSettings {
  if (flags.mode !== 'fc' && flags.mode !== 'http') throw new Error(`--dispatch must be fc or http, got ${JSON.stringify(flags.mode)}`);
  const list = flags.activities ?? env.SHARDFLOW_DISPATCH_ACTIVITIES;
  const activities = list ? list.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_DISPATCHED];
  const unknown = activities.filter((a) => !DISPATCHABLE.includes(a));
  if (unknown.length) throw new Error(`cannot dispatch ${unknown.join(', ')}; dispatchable activities: ${DISPATCHABLE.join(', ')}`);
  const settings: DispatchSettings = {
    mode: flags.mode,
    activities,
    concurrency: positiveInt('--dispatch-concurrency', flags.concurrency ?? env.SHARDFLOW_DISPATCH_CONCURRENCY, DEFAULT_DISPATCH_CONCURRENCY),
    functionTimeoutSeconds: positiveInt('FC_FUNCTION_TIMEOUT_SECONDS', env.FC_FUNCTION_TIMEOUT_SECONDS, DEFAULT_FUNCTION_TIMEOUT_SECONDS),
    secret: invokeSecretFromEnv(env),
  };
  if (flags.mode === 'http') {
    const endpoint = flags.endpoint ?? env.SHARDFLOW_DISPATCH_ENDPOINT;
    if (!endpoint) throw new Error('--dispatch http needs --endpoint URL (or SHARDFLOW_DISPATCH_ENDPOINT)');
    if (!/^https?:\/\//.test(endpoint)) throw new Error(`--endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
    if (!settings.secret && !isLoopbackUrl(endpoint)) {
      throw new Error(`--dispatch http to ${endpoint} needs ${FC_SECRET_ENV}: the function refuses unsigned calls from other machines`);
    }
    settings.httpEndpoint = endpoint.replace(/\/+$/, '');
    return settings;
  }
  settings.fc = fcTargetFromEnv(env, required(env, 'FC_FUNCTION_NAME'), env.FC_QUALIFIER || undefined);
  return settings;
}

/** The FC API endpoint, region and keys from the environment, for one function (and qualifier). */
export function fcTargetFromEnv(env: NodeJS.ProcessEnv, functionName: string, qualifier: string | undefined): FcTarget {
  const regionId = required(env, 'FC_REGION', 'ALIBABA_CLOUD_REGION');
  return {
    ...fcEndpoint(env, regionId),
    regionId,
    functionName,
    qualifier,
    accessKeyId: required(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID'),
    accessKeySecret: required(env, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'),
    securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined,
  };
}

/** A one-line description for the worker's banner, without credentials. */
export function describeDispatch(s: DispatchSettings): string {
  const where = s.mode === 'fc' ? `FC function ${s.fc!.functionName}${s.fc!.qualifier ? `:${s.fc!.qualifier}` : ''} at ${s.fc!.endpoint}` : `${s.httpEndpoint}/invoke`;
  return `${s.activities.join(', ')} dispatched to ${where}, ${s.concurrency} at once, ${s.secret ? 'calls signed' : 'calls unsigned'}`;
}
