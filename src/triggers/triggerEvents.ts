// Request bodies → trigger events. Accepts the FC OSS trigger event, EventBridge
// CloudEvents for OSS events and for MNS queue messages (structured, batched or
// binary mode), and checks every field it uses. Pure.
import { BUCKET_NAME, CONTROL, unsafeKeyReason } from './objectKey';

/** An object was created (or otherwise changed) in a bucket. */
export interface ObjectEvent {
  kind: 'object';
  /** Where in the body it came from, for messages: "events[1]". */
  where: string;
  eventName: string;
  bucket: string;
  key: string;
  /** Lowercase, without quotes; empty only for events that are not ObjectCreated. */
  etag: string;
  size?: number;
  region?: string;
}

/** A queue message whose body is a job. */
export interface QueueJobEvent {
  kind: 'job';
  where: string;
  /** The queue's message id: a redelivered message keeps it. */
  messageId?: string;
  job: unknown;
}

/** A well-formed event of a kind this endpoint does not act on. */
export interface OtherEvent {
  kind: 'other';
  where: string;
  type: string;
}

export type TriggerEvent = ObjectEvent | QueueJobEvent | OtherEvent;

/** The body is not something we accept; answered with 400 and this message. */
export class BadEventError extends Error {}

/** Bounds the work one request can cause. */
export const MAX_EVENTS_PER_REQUEST = 100;

function bad(message: string): never {
  throw new BadEventError(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Strings we echo into logs and the Web UI: control characters could rewrite what an operator reads. */
function str(v: unknown, where: string, max = 1024): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) bad(`${where} must be a non-empty string of at most ${max} characters`);
  if (CONTROL.test(v)) bad(`${where} contains control characters`);
  return v;
}

/** One FC OSS trigger record; EventBridge OSS events carry the same record as `data`. */
function parseOssRecord(record: unknown, where: string, eventName: string): ObjectEvent {
  if (!isObject(record) || !isObject(record.oss)) bad(`${where}.oss must be an object with "bucket" and "object"`);
  const { bucket, object } = record.oss as Record<string, unknown>;
  if (!isObject(bucket)) bad(`${where}.oss.bucket must be an object with "name"`);
  if (!isObject(object)) bad(`${where}.oss.object must be an object with "key" and "eTag"`);
  const name = str(bucket.name, `${where}.oss.bucket.name`, 63);
  if (!BUCKET_NAME.test(name)) bad(`${where}.oss.bucket.name ${JSON.stringify(name)} is not a valid bucket name`);
  const keyProblem = unsafeKeyReason(object.key);
  if (keyProblem) bad(`${where}.oss.object.key is refused: ${keyProblem}`);
  let etag = '';
  if (object.eTag !== undefined || eventName.startsWith('ObjectCreated:')) {
    etag = str(object.eTag, `${where}.oss.object.eTag`, 128).replace(/^"|"$/g, '').toLowerCase();
    if (!/^[0-9a-z-]+$/.test(etag)) bad(`${where}.oss.object.eTag must be hex digits, optionally with a "-parts" suffix`);
  }
  const size = object.size;
  if (size !== undefined && !(typeof size === 'number' && Number.isInteger(size) && size >= 0)) bad(`${where}.oss.object.size must be a whole number`);
  const region = record.region;
  if (region !== undefined && typeof region !== 'string') bad(`${where}.region must be a string`);
  return { kind: 'object', where, eventName, bucket: name, key: object.key as string, etag, size: size as number | undefined, region: region as string | undefined };
}

function parseFcRecord(record: unknown, where: string): ObjectEvent {
  if (!isObject(record)) bad(`${where} must be an object`);
  const eventName = str(record.eventName, `${where}.eventName`, 128);
  return parseOssRecord(record, where, eventName);
}

const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/** MNS bodies are job JSON as text, the same text in base64, or (decoded by EventBridge) already an object. */
export function decodeMessageBody(body: unknown, where: string): unknown {
  if (isObject(body)) return body;
  if (typeof body !== 'string' || body.trim() === '') bad(`${where} must be job JSON, or base64 of job JSON`);
  let text = body.trim();
  if (!text.startsWith('{')) {
    if (!BASE64.test(text)) bad(`${where} is neither job JSON nor base64`);
    text = Buffer.from(text, 'base64').toString('utf8').trim();
  }
  let job: unknown;
  try {
    job = JSON.parse(text);
  } catch {
    bad(`${where} is not valid job JSON${body.trim().startsWith('{') ? '' : ' after base64 decoding'}`);
  }
  if (!isObject(job)) bad(`${where} must hold a JSON object`);
  return job;
}

function parseCloudEvent(ce: unknown, where: string): TriggerEvent {
  if (!isObject(ce)) bad(`${where} must be a CloudEvent object`);
  const type = str(ce.type, `${where}.type`, 256);
  if (type.startsWith('oss:')) {
    if (!isObject(ce.data)) bad(`${where}.data must be the OSS event record`);
    return parseOssRecord(ce.data, `${where}.data`, type.slice(4));
  }
  if (type.startsWith('mns:')) {
    if (!isObject(ce.data)) bad(`${where}.data must be an object with "messageBody"`);
    const messageId = ce.data.messageId ?? ce.id;
    return {
      kind: 'job',
      where,
      messageId: messageId === undefined ? undefined : str(messageId, `${where}.data.messageId`, 256),
      job: decodeMessageBody(ce.data.messageBody, `${where}.data.messageBody`),
    };
  }
  return { kind: 'other', where, type };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    bad(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

function limitCount(n: number): void {
  if (n === 0) bad('the request holds no events');
  if (n > MAX_EVENTS_PER_REQUEST) bad(`the request holds ${n} events; send at most ${MAX_EVENTS_PER_REQUEST} per request`);
}

/**
 * Parses a whole request. Any malformed or unsafe event refuses the whole
 * request, so nothing starts from a body that carries an attack.
 */
export function parseTriggerBody(body: Buffer, headers: Record<string, string | string[] | undefined> = {}): TriggerEvent[] {
  // Binary content mode: the CloudEvent attributes travel as ce-* headers, the body is `data`.
  const ceType = headers['ce-type'];
  if (typeof ceType === 'string' && typeof headers['ce-specversion'] === 'string') {
    return [parseCloudEvent({ type: ceType, id: headers['ce-id'], data: parseJson(body) }, 'event')];
  }
  const doc = parseJson(body);
  if (Array.isArray(doc)) {
    limitCount(doc.length);
    return doc.map((ce, i) => parseCloudEvent(ce, `events[${i}]`));
  }
  if (!isObject(doc)) bad('the body must be a JSON object: an OSS trigger event {"events": [...]} or a CloudEvent');
  if ('events' in doc) {
    if (!Array.isArray(doc.events)) bad('"events" must be a list');
    limitCount(doc.events.length);
    return doc.events.map((e, i) => parseFcRecord(e, `events[${i}]`));
  }
  if ('specversion' in doc) return [parseCloudEvent(doc, 'event')];
  bad('the body is neither an OSS trigger event {"events": [...]} nor a CloudEvent (no "specversion")');
}
