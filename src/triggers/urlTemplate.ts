// URL patterns such as "oss://out/{key_dir}/{key_base}/", filled in from the
// object that triggered a job. Pure.
import { splitKey } from './objectKey';

export const PLACEHOLDERS = ['bucket', 'key', 'key_dir', 'key_base', 'key_ext'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export class TemplateError extends Error {}

/** Throws when the pattern names a placeholder we do not know, so typos fail at load time. */
export function checkTemplate(pattern: string, field: string): void {
  for (const m of pattern.matchAll(/\{([^{}]*)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1])) {
      throw new TemplateError(`${field}: unknown placeholder {${m[1]}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
  }
}

export function placeholderValues(bucket: string, key: string): Record<Placeholder, string> {
  const { dir, base, ext } = splitKey(key);
  return { bucket, key, key_dir: dir, key_base: base, key_ext: ext };
}

/**
 * Fills in the placeholders. An empty {key_dir} would leave "//" behind, so
 * runs of slashes after the scheme collapse to one.
 */
export function renderTemplate(pattern: string, bucket: string, key: string): string {
  const values = placeholderValues(bucket, key);
  // file:// URLs are percent-decoded, so a literal "%" from a name must be escaped there; object keys are literal.
  const escape = /^file:\/\//i.test(pattern) ? (v: string) => v.replace(/%/g, '%25') : (v: string) => v;
  const filled = pattern.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in values ? escape(values[name as Placeholder]) : whole));
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(filled)?.[0] ?? '';
  return scheme + filled.slice(scheme.length).replace(/\/{2,}/g, '/');
}
