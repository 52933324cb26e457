// The temporary credentials FC hands each invocation (from the function's
// role), and a redactor so that none of them ever reaches a log line or an
// error body.
import type { IncomingHttpHeaders } from 'node:http';

export interface FcCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s ? s : undefined;
}

/** The x-fc-access-key-* headers, when both key id and secret are present. */
export function credentialsFrom(headers: IncomingHttpHeaders): FcCredentials | undefined {
  const accessKeyId = header(headers, 'x-fc-access-key-id');
  const accessKeySecret = header(headers, 'x-fc-access-key-secret');
  if (!accessKeyId || !accessKeySecret) return undefined;
  return { accessKeyId, accessKeySecret, securityToken: header(headers, 'x-fc-security-token') };
}

/** Replaces every credential value in a text; libraries sometimes echo a key id in their messages. */
export function redactor(credentials: FcCredentials | undefined): (text: string) => string {
  const secrets = credentials ? [credentials.securityToken, credentials.accessKeySecret, credentials.accessKeyId].filter((s): s is string => !!s && s.length >= 4) : [];
  return (text) => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
}
