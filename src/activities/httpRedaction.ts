// What an HTTP:Request returns, and the errors it throws, enter workflow
// history, which anyone with Web UI or CLI access reads. Credentials are taken
// out first: headers and JSON fields named like one, and any secret value the
// request itself sent, wherever the server echoed it.

export const REDACTED = '[redacted]';

/** Names that hold credentials: Authorization, Cookie, Set-Cookie, x-api-key, access_token, client_secret, password ... */
const SECRET_NAME = /authori[sz]ation|cookie|token|secret|passw(?:or)?d|passwd|api[-_]?key|credential|private[-_]?key|session[-_]?id|signature|^auth$|^x-auth/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export class Redactor {
  private readonly values: string[];

  /** `values`: secrets the request carried; short ones are left alone, as replacing them would garble text. */
  constructor(values: string[]) {
    this.values = [...new Set(values.filter((v) => v.length >= 6))].sort((a, b) => b.length - a.length);
  }

  text(s: string): string {
    return this.values.reduce((t, v) => t.split(v).join(REDACTED), s);
  }

  headers(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, isSecretName(k) ? REDACTED : this.text(v)]));
  }

  /** A parsed JSON body or text, with secret-named fields and secret values replaced. */
  body(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.body(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, isSecretName(k) ? REDACTED : this.body(v)]));
    }
    return value;
  }
}
