// Trigger events + the trigger config → the jobs to start, with their ids, or
// the reason an event starts nothing. Pure: no Temporal, no I/O.
import { fromAlibabaShapes, normalizeJob, type TranscodeJobInput } from '../core/job/jobInput';
import { parseObjectUrl } from '../core/objectUrl';
import { objectJobId, queueJobId } from './jobIds';
import { CONTROL } from './objectKey';
import { jobBeyondTrigger, keyMatches, type TriggerConfig } from './triggerConfig';
import { BadEventError, type ObjectEvent, type QueueJobEvent, type TriggerEvent } from './triggerEvents';
import { renderTemplate } from './urlTemplate';

export interface PlannedJob {
  workflowId: string;
  input: TranscodeJobInput;
  /** One line for logs and the Web UI: what caused the job. */
  cause: string;
}

export interface SkippedEvent {
  where: string;
  reason: string;
}

export interface Plan {
  jobs: PlannedJob[];
  skipped: SkippedEvent[];
}

function skipReason(config: TriggerConfig, e: ObjectEvent): string | undefined {
  if (!config.events.includes(e.eventName)) return `event ${e.eventName} is not in "events"`;
  if (config.buckets && !config.buckets.includes(e.bucket)) return `bucket ${e.bucket} is not in "buckets"`;
  // Consoles create "folders" as empty objects whose key ends in "/".
  if (e.key.endsWith('/')) return 'the key names a folder';
  if (!keyMatches(config, e.key)) return 'the key does not match "prefix"/"suffix"';
  return undefined;
}

/** Validates a job against the core rules and this trigger's limits and outputs; what starts carries its maxShards. */
function checkedInput(config: TriggerConfig, input: TranscodeJobInput, where: string): TranscodeJobInput {
  let job;
  try {
    job = normalizeJob(input);
  } catch (err) {
    throw new BadEventError(`${where} is invalid: ${(err as Error).message}`);
  }
  const beyond = jobBeyondTrigger(config, job);
  if (beyond) throw new BadEventError(`${where} is refused: ${beyond}`);
  return { ...input, maxShards: config.limits.maxShards };
}

function planObject(config: TriggerConfig, e: ObjectEvent): PlannedJob {
  const { job } = config;
  const input = checkedInput(
    config,
    { ...job, source: renderTemplate(config.source, e.bucket, e.key), output: renderTemplate(job.output, e.bucket, e.key) },
    `${e.where}: the job for this object`,
  );
  return {
    workflowId: objectJobId(config.name, e.bucket, e.key, e.etag),
    input,
    cause: `${e.eventName} oss://${e.bucket}/${e.key} (etag ${e.etag})`,
  };
}

/** What a message may set: the job itself. Task queues, ids, batching and deadlines are the server's to choose. */
const MESSAGE_FIELDS = ['source', 'output', 'renditions', 'segmentSeconds', 'watermark'];

/** Why a message's source (or watermark image) is not one this trigger reads, or undefined. */
function sourceRefusal(config: TriggerConfig, url: string): string | undefined {
  const u = parseObjectUrl(url);
  if (!config.queue.allowedSchemes.includes(u.scheme)) return `uses ${u.scheme}, which "queue.allowedSchemes" (${config.queue.allowedSchemes.join(', ')}) does not allow`;
  if (u.scheme !== 'oss' && u.scheme !== 's3') return 'is not in a bucket; messages may read only from "buckets"';
  if (!config.buckets?.includes(u.bucket)) return `is in bucket ${u.bucket}, which is not in "buckets"`;
  if (!keyMatches(config, u.key)) return 'does not match "prefix"/"suffix"';
  return undefined;
}

function planQueueJob(config: TriggerConfig, e: QueueJobEvent): PlannedJob {
  const where = `${e.where}: the message's job`;
  let shaped: unknown;
  let job;
  try {
    shaped = fromAlibabaShapes(e.job);
    job = normalizeJob(shaped);
  } catch (err) {
    throw new BadEventError(`${where} is invalid: ${(err as Error).message}`);
  }
  const extra = Object.keys(shaped as object).filter((k) => !MESSAGE_FIELDS.includes(k));
  if (extra.length) throw new BadEventError(`${where} sets ${extra.map((k) => `"${k}"`).join(', ')}, which messages may not set; they may set ${MESSAGE_FIELDS.join(', ')}`);
  for (const [field, url] of [['source', job.source], ['output', job.output], ['watermark.image', job.watermark?.image]] as const) {
    if (url === undefined) continue;
    // Job JSON from a message could otherwise smuggle a terminal escape into logs.
    if (CONTROL.test(url)) throw new BadEventError(`${where}: "${field}" contains control characters`);
    const scheme = parseObjectUrl(url).scheme;
    if (!config.queue.allowedSchemes.includes(scheme)) {
      throw new BadEventError(`${where}: "${field}" uses ${scheme}, which "queue.allowedSchemes" (${config.queue.allowedSchemes.join(', ')}) does not allow`);
    }
    const refusal = field === 'output' ? undefined : sourceRefusal(config, url);
    if (refusal) throw new BadEventError(`${where}: "${field}" ${url} ${refusal}`);
  }
  const input = checkedInput(config, shaped as TranscodeJobInput, where);
  return {
    workflowId: queueJobId(config.name, e.messageId, e.job),
    input,
    cause: `queue message${e.messageId ? ` ${e.messageId}` : ''}`,
  };
}

/** Throws BadEventError when any accepted event makes an invalid job: the request is refused as a whole. */
export function planJobs(config: TriggerConfig, events: TriggerEvent[]): Plan {
  const plan: Plan = { jobs: [], skipped: [] };
  const seen = new Set<string>();
  for (const e of events) {
    let reason: string | undefined;
    if (e.kind === 'other') reason = `event type ${e.type} is not handled`;
    else if (e.kind === 'object') reason = skipReason(config, e);
    else if (!config.queue.enabled) reason = 'queue messages are disabled ("queue.enabled")';
    if (reason !== undefined) {
      plan.skipped.push({ where: e.where, reason });
      continue;
    }
    const job = e.kind === 'object' ? planObject(config, e) : planQueueJob(config, e as QueueJobEvent);
    // The same object twice in one batch is one job.
    if (seen.has(job.workflowId)) {
      plan.skipped.push({ where: e.where, reason: `same object as an earlier event in this request (${job.workflowId})` });
      continue;
    }
    seen.add(job.workflowId);
    plan.jobs.push(job);
  }
  return plan;
}
