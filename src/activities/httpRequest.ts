// `Action: HTTP:Request`: one HTTP call with the state's Method, URL, Headers,
// Query and Body. 5xx, 429 and timeouts are retryable; other 4xx are not, since
// repeating the same request cannot change the answer.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { currentActivityContext } from './activityContext';
import type { HttpRequestInput, HttpResponse } from '../core/flow/functionContract';

export type { HttpRequestInput, HttpResponse };

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const DEFAULT_TIMEOUT_SECONDS = 60;
/** Responses travel in workflow history, whose payloads stop at 2 MB. */
const MAX_BODY_BYTES = 1024 * 1024;

function fail(type: string, message: string, nonRetryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable });
}

/** Parameters as CloudFlow writes them (Method, URL ...) or in lower case (method, url ...). */
function field(input: Record<string, unknown>, name: string): unknown {
  if (name in input) return input[name];
  const lower = Object.keys(input).find((k) => k.toLowerCase() === name.toLowerCase());
  return lower === undefined ? undefined : input[lower];
}

export function httpRequest() {
  return async function httpRequest(input: HttpRequestInput): Promise<HttpResponse> {
    const raw = (input ?? {}) as unknown as Record<string, unknown>;
    const where = input?.stateName ? `state ${JSON.stringify(input.stateName)}: ` : '';
    const method = String(field(raw, 'Method') ?? 'GET').toUpperCase();
    if (!METHODS.includes(method)) throw fail('HTTP.InvalidRequest', `${where}Method ${JSON.stringify(method)} is not one of ${METHODS.join(', ')}`, true);
    let url: URL;
    try {
      url = new URL(String(field(raw, 'URL') ?? ''));
    } catch {
      throw fail('HTTP.InvalidRequest', `${where}URL ${JSON.stringify(field(raw, 'URL'))} is not a valid URL`, true);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw fail('HTTP.InvalidRequest', `${where}URL ${url.protocol}// is refused; only http and https URLs can be requested`, true);
    }
    const query = field(raw, 'Query');
    if (query && typeof query === 'object') for (const [k, v] of Object.entries(query)) url.searchParams.append(k, String(v));
    const headers = new Headers();
    const given = field(raw, 'Headers');
    if (given && typeof given === 'object') for (const [k, v] of Object.entries(given)) headers.set(k, String(v));
    let body: string | undefined;
    const rawBody = field(raw, 'Body');
    if (rawBody !== undefined && rawBody !== null && method !== 'GET' && method !== 'HEAD') {
      if (typeof rawBody === 'string') body = rawBody;
      else {
        body = JSON.stringify(rawBody);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
    }
    const timeoutSeconds = Number(field(raw, 'Timeout') ?? DEFAULT_TIMEOUT_SECONDS);
    if (!(timeoutSeconds > 0)) throw fail('HTTP.InvalidRequest', `${where}Timeout must be a positive number of seconds`, true);

    const cancel = currentActivityContext()?.cancellationSignal;
    const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
    const signal = cancel ? AbortSignal.any([cancel, timeout]) : timeout;
    const target = `${method} ${url.origin}${url.pathname}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method, headers, body, signal, redirect: 'follow' });
      text = await readLimited(res, where, target);
    } catch (err) {
      if (cancel?.aborted) throw new CancelledFailure(`${where}${target} cancelled`);
      if (timeout.aborted) throw fail('HTTP.Timeout', `${where}${target} got no answer within ${timeoutSeconds} s`, false);
      if (err instanceof ApplicationFailure) throw err;
      throw fail('HTTP.NetworkError', `${where}${target} failed: ${(err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message}`, false);
    }
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => (responseHeaders[k] = v));
    const parsed = parseBody(text, res.headers.get('content-type'));
    if (res.status >= 500 || res.status === 429) {
      throw fail(`HTTP.${res.status}`, `${where}${target} answered ${res.status} ${res.statusText}: ${text.slice(0, 300)}`, false);
    }
    if (res.status >= 400) {
      throw fail(`HTTP.${res.status}`, `${where}${target} answered ${res.status} ${res.statusText} (a client error; not retried): ${text.slice(0, 300)}`, true);
    }
    return { StatusCode: res.status, Headers: responseHeaders, Body: parsed };
  };
}

async function readLimited(res: Response, where: string, target: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_BODY_BYTES) {
    await res.body?.cancel();
    throw fail('HTTP.ResponseTooLarge', `${where}${target} answered ${declared} bytes; responses over ${MAX_BODY_BYTES} bytes do not fit in workflow history`, true);
  }
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > MAX_BODY_BYTES) {
    throw fail('HTTP.ResponseTooLarge', `${where}${target} answered ${buf.length} bytes; responses over ${MAX_BODY_BYTES} bytes do not fit in workflow history`, true);
  }
  return buf.toString('utf8');
}

function parseBody(text: string, contentType: string | null): unknown {
  if (contentType && /[/+]json\b/i.test(contentType) && text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
