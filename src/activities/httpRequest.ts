// `Action: HTTP:Request`: one HTTP call with the state's Method, URL, Headers,
// Query and Body. 5xx, 429 and timeouts are retryable; other 4xx are not, since
// repeating the same request cannot change the answer.
//
// The URL comes from a flow definition, so the call is fenced in: the name is
// resolved here and the connection goes to the address that was checked (a
// name that resolves differently a moment later cannot slip through), each
// redirect is checked the same way, the answer is read as a stream and cut off
// at 1 MiB, and credentials are kept out of what returns to history.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { lookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { currentActivityContext } from './activityContext';
import type { HttpRequestInput, HttpResponse } from '../core/flow/functionContract';

export type { HttpRequestInput, HttpResponse };
import { AddressPolicy, HTTP_ALLOW_ENV } from './httpAddressPolicy';
import { isSecretName, Redactor } from './httpRedaction';

export interface HttpRequestOptions {
  /** Which addresses may be reached; default from SHARDFLOW_HTTP_ALLOW. */
  policy?: AddressPolicy;
  /** Where {{secret:NAME}} references are looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const DEFAULT_TIMEOUT_SECONDS = 60;
/** Responses travel in workflow history, whose payloads stop at 2 MB. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_REDIRECTS = 5;
export const SECRET_ENV_PREFIX = 'SHARDFLOW_HTTP_SECRET_';
const SECRET_REF = /\{\{secret:([A-Za-z0-9_]+)\}\}/g;
/** Headers a redirect to another origin must not carry on (as browsers and fetch do). */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

function fail(type: string, message: string, nonRetryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable });
}

/** Parameters as CloudFlow writes them (Method, URL ...) or in lower case (method, url ...). */
function field(input: Record<string, unknown>, name: string): unknown {
  if (name in input) return input[name];
  const lower = Object.keys(input).find((k) => k.toLowerCase() === name.toLowerCase());
  return lower === undefined ? undefined : input[lower];
}

interface Answer {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
}

export function httpRequest(options: HttpRequestOptions = {}) {
  const policy = options.policy ?? AddressPolicy.fromEnv();
  const env = options.env ?? process.env;
  return async function httpRequest(input: HttpRequestInput): Promise<HttpResponse> {
    const raw = (input ?? {}) as unknown as Record<string, unknown>;
    const where = input?.stateName ? `state ${JSON.stringify(input.stateName)}: ` : '';
    let method = String(field(raw, 'Method') ?? 'GET').toUpperCase();
    if (!METHODS.includes(method)) throw fail('HTTP.InvalidRequest', `${where}Method ${JSON.stringify(method)} is not one of ${METHODS.join(', ')}`, true);
    let url: URL;
    try {
      url = new URL(String(field(raw, 'URL') ?? ''));
    } catch {
      throw fail('HTTP.InvalidRequest', `${where}URL ${JSON.stringify(field(raw, 'URL'))} is not a valid URL`, true);
    }
    checkScheme(url, where);
    const secrets: string[] = [];
    const query = field(raw, 'Query');
    if (query && typeof query === 'object') {
      for (const [k, v] of Object.entries(query)) {
        url.searchParams.append(k, String(v));
        if (isSecretName(k)) secrets.push(String(v));
      }
    }
    for (const [k, v] of url.searchParams) if (isSecretName(k)) secrets.push(v);
    const headers: Record<string, string> = {};
    const given = field(raw, 'Headers');
    if (given && typeof given === 'object') {
      for (const [k, v] of Object.entries(given)) {
        const value = resolveSecrets(String(v), env, where, secrets);
        headers[k.toLowerCase()] = value;
        // "Bearer <token>": the token alone may be echoed too.
        if (isSecretName(k)) secrets.push(value, value.split(/\s+/).pop() ?? value);
      }
    }
    const redact = new Redactor(secrets);
    let body: Buffer | undefined;
    const rawBody = field(raw, 'Body');
    if (rawBody !== undefined && rawBody !== null && method !== 'GET' && method !== 'HEAD') {
      if (typeof rawBody === 'string') body = Buffer.from(rawBody);
      else {
        body = Buffer.from(JSON.stringify(rawBody));
        headers['content-type'] ??= 'application/json';
      }
    }
    const timeoutSeconds = Number(field(raw, 'Timeout') ?? DEFAULT_TIMEOUT_SECONDS);
    if (!(timeoutSeconds > 0)) throw fail('HTTP.InvalidRequest', `${where}Timeout must be a positive number of seconds`, true);

    const cancel = currentActivityContext()?.cancellationSignal;
    const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
    const signal = cancel ? AbortSignal.any([cancel, timeout]) : timeout;
    let target = `${method} ${url.origin}${url.pathname}`;
    let answer: Answer;
    try {
      for (let hop = 0; ; hop++) {
        answer = await send(url, method, headers, body, signal, policy, where, target);
        const location = answer.headers.location;
        if (![301, 302, 303, 307, 308].includes(answer.status) || !location) break;
        if (hop >= MAX_REDIRECTS) throw fail('HTTP.TooManyRedirects', `${where}${target} redirected more than ${MAX_REDIRECTS} times`, true);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw fail('HTTP.InvalidRedirect', `${where}${target} redirected to ${JSON.stringify(redact.text(location))}, which is not a URL`, true);
        }
        checkScheme(next, where, `${target} redirected to`);
        // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
        if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === 'POST')) {
          if (method !== 'HEAD') method = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        if (next.origin !== url.origin) {
          for (const h of Object.keys(headers)) if (ORIGIN_BOUND_HEADERS.includes(h) || isSecretName(h)) delete headers[h];
        }
        url = next;
        target = `${method} ${url.origin}${url.pathname}`;
      }
    } catch (err) {
      if (cancel?.aborted) throw new CancelledFailure(`${where}${target} cancelled`);
      if (timeout.aborted) throw fail('HTTP.Timeout', `${where}${target} got no answer within ${timeoutSeconds} s`, false);
      if (err instanceof ApplicationFailure) throw redactFailure(err, redact);
      throw fail('HTTP.NetworkError', redact.text(`${where}${target} failed: ${(err as Error).message}`), false);
    }
    const text = answer.body.toString('utf8');
    if (answer.status >= 500 || answer.status === 429) {
      throw fail(`HTTP.${answer.status}`, redact.text(`${where}${target} answered ${answer.status} ${answer.statusText}: ${text.slice(0, 300)}`), false);
    }
    if (answer.status >= 400) {
      throw fail(`HTTP.${answer.status}`, redact.text(`${where}${target} answered ${answer.status} ${answer.statusText} (a client error; not retried): ${text.slice(0, 300)}`), true);
    }
    return { StatusCode: answer.status, Headers: redact.headers(answer.headers), Body: redact.body(parseBody(text, answer.headers['content-type'])) };
  };
}

function checkScheme(url: URL, where: string, what = 'URL'): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail('HTTP.InvalidRequest', `${where}${what} ${url.protocol}// is refused; only http and https URLs can be requested`, true);
  }
}

/** Replaces {{secret:NAME}} with SHARDFLOW_HTTP_SECRET_NAME from the worker's environment, remembering the values. */
function resolveSecrets(value: string, env: NodeJS.ProcessEnv, where: string, found: string[]): string {
  return value.replace(SECRET_REF, (_, name: string) => {
    const secret = env[`${SECRET_ENV_PREFIX}${name}`];
    if (!secret) throw fail('HTTP.InvalidRequest', `${where}{{secret:${name}}} names ${SECRET_ENV_PREFIX}${name}, which is not set on this worker`, true);
    found.push(secret);
    return secret;
  });
}

function redactFailure(err: ApplicationFailure, redact: Redactor): ApplicationFailure {
  const message = redact.text(err.message);
  return message === err.message ? err : fail(err.type ?? 'HTTP.Error', message, err.nonRetryable === true);
}

/** Resolves the host, checks every candidate address and returns the first one that may be reached. */
async function checkedAddress(url: URL, policy: AddressPolicy, where: string): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let candidates: { address: string; family: number }[];
  if (isIP(host)) candidates = [{ address: host, family: isIP(host) }];
  else {
    try {
      candidates = await lookup(host, { all: true, verbatim: true });
    } catch (err) {
      throw fail('HTTP.NetworkError', `${where}cannot resolve ${host}: ${(err as Error).message}`, false);
    }
  }
  const refusals: string[] = [];
  for (const c of candidates) {
    const refusal = policy.refusal(c.address);
    if (!refusal) return c;
    refusals.push(`${c.address} (${refusal})`);
  }
  throw fail(
    'HTTP.AddressRefused',
    `${where}${host} is refused: it resolves to ${refusals.join(', ')}. Flows may reach only public addresses unless ${HTTP_ALLOW_ENV} on the worker names the address or range`,
    true,
  );
}

/** One request to the checked address, the answer read as a stream and cut off past MAX_BODY_BYTES. */
async function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal, policy: AddressPolicy, where: string, target: string): Promise<Answer> {
  const { address, family } = await checkedAddress(url, policy, where);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const secure = url.protocol === 'https:';
  const request = (secure ? https : http).request({
    host: address,
    family,
    port: url.port || (secure ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    method,
    // The Host header and TLS name stay the URL's, though the socket goes to the address checked above.
    headers: { ...headers, host: url.host, ...(body ? { 'content-length': String(body.length) } : {}) },
    ...(secure && !isIP(host) ? { servername: host } : {}),
    agent: false,
    signal,
  });
  return new Promise<Answer>((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (res) => {
      const answerHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) answerHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      const tooLarge = (size: string) =>
        fail('HTTP.ResponseTooLarge', `${where}${target} answered ${size} bytes; responses over ${MAX_BODY_BYTES} bytes do not fit in workflow history`, true);
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > MAX_BODY_BYTES) {
        request.destroy();
        return reject(tooLarge(String(declared)));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          // Stop reading: the rest is never buffered.
          request.destroy();
          reject(tooLarge(`more than ${MAX_BODY_BYTES}`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: answerHeaders, body: Buffer.concat(chunks) }));
    });
    request.end(body);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (contentType && /[/+]json\b/i.test(contentType) && text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
