// The trigger config file: which objects start a job, and what job. Checked in
// full at load time, so a typo or an output prefix that would re-trigger itself
// stops the server before it accepts a single event.
import { readFileSync } from 'node:fs';
import type { TranscodeJobInput } from '../core/job/jobInput';
import { normalizeJob, type TranscodeJob } from '../core/job/jobInput';
import { MAX_FPS, MAX_RENDITIONS, MAX_SEGMENT_SECONDS, MAX_SHARDS, MIN_SEGMENT_SECONDS } from '../core/job/limits';
import { isWithin, parseObjectUrl, type Scheme } from '../core/objectUrl';
import { BUCKET_NAME } from './objectKey';
import { checkTemplate, renderTemplate } from './urlTemplate';

export const OBJECT_CREATED_EVENTS = [
  'ObjectCreated:PutObject',
  'ObjectCreated:PostObject',
  'ObjectCreated:CompleteMultipartUpload',
] as const;

/** Closed executions with the same id: never start again, or start again only after a failure. */
export const REUSE_POLICIES = ['REJECT_DUPLICATE', 'ALLOW_DUPLICATE_FAILED_ONLY'] as const;
export type ReusePolicy = (typeof REUSE_POLICIES)[number];

export type JobTemplate = Omit<TranscodeJobInput, 'source' | 'jobId' | 'mediaTaskQueue'>;

/** Bounds on the jobs a trigger starts, tighter than the core limits (src/job/limits.ts) by default. */
export interface TriggerLimits {
  maxRenditions: number;
  maxFps: number;
  minSegmentSeconds: number;
  /** Passed to each job as its maxShards: the workflow refuses a longer source once it has probed it. */
  maxShards: number;
}

export const DEFAULT_TRIGGER_LIMITS: TriggerLimits = { maxRenditions: 4, maxFps: 60, minSegmentSeconds: 2, maxShards: 2000 };

export interface TriggerConfig {
  /** Readable start of every workflow id this trigger derives; tells two triggers on one bucket apart. */
  name: string;
  /** Accepted buckets (of events, and of message sources); undefined accepts any event bucket. */
  buckets?: string[];
  /** URL prefixes jobs may write to; undefined lets event jobs write where "job.output" says. Required for messages. */
  outputs?: string[];
  limits: TriggerLimits;
  /** Key prefixes, any of which matches; [""] matches every key. */
  prefixes: string[];
  /** Key suffixes compared case-insensitively; [] matches every key. */
  suffixes: string[];
  /** Accepted event names, without the "oss:" of EventBridge types. */
  events: string[];
  /** Source URL pattern. */
  source: string;
  /** Job template; `output` is a URL pattern. */
  job: JobTemplate;
  queue: { enabled: boolean; allowedSchemes: Scheme[] };
  reusePolicy: ReusePolicy;
  maxBodyBytes: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_SCHEMES: Scheme[] = ['oss', 's3'];
const VIDEO_SUFFIXES = ['.mp4', '.mov', '.mkv', '.webm', '.m4v', '.avi', '.ts', '.mts', '.flv', '.mxf'];

/** Used without --config: videos uploaded under incoming/ go to transcoded/ in the same bucket. */
export const DEFAULT_CONFIG_FILE = {
  prefix: 'incoming/',
  suffix: VIDEO_SUFFIXES,
  job: { output: 'oss://{bucket}/transcoded/{key_dir}/{key_base}/' },
};

export class TriggerConfigError extends Error {}

const TOP_LEVEL = ['name', 'buckets', 'outputs', 'limits', 'prefix', 'suffix', 'events', 'source', 'job', 'queue', 'reusePolicy', 'maxBodyBytes'];
const JOB_FIELDS = ['output', 'renditions', 'segmentSeconds', 'watermark', 'batchSize'];
const SCHEMES: Scheme[] = ['oss', 's3', 'file', 'local'];

function fail(message: string): never {
  throw new TriggerConfigError(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(value: unknown, field: string, allowEmptyStrings = false): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && (allowEmptyStrings || s.length > 0))) {
    fail(`"${field}" must be a string or a list of non-empty strings`);
  }
  return list as string[];
}

function checkKnownFields(obj: Record<string, unknown>, known: string[], where: string): void {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k));
  if (unknown.length > 0) fail(`${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${known.join(', ')}`);
}

/** "oss:ObjectCreated:PutObject" (EventBridge) and "ObjectCreated:PutObject" (FC) name the same event. */
export function eventNameOf(typeOrName: string): string {
  return typeOrName.startsWith('oss:') ? typeOrName.slice(4) : typeOrName;
}

export function parseTriggerConfig(raw: unknown): TriggerConfig {
  if (!isObject(raw)) fail('the trigger config must be a JSON object');
  checkKnownFields(raw, TOP_LEVEL, 'trigger config');

  const name = raw.name ?? 'oss';
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) fail('"name" must be 1-32 lowercase letters, digits or dashes');

  const buckets = stringList(raw.buckets, 'buckets');
  for (const b of buckets ?? []) if (!BUCKET_NAME.test(b)) fail(`"buckets": ${JSON.stringify(b)} is not a valid bucket name`);
  const prefixes = stringList(raw.prefix, 'prefix', true) ?? [''];
  const suffixes = stringList(raw.suffix, 'suffix') ?? [];
  const events = (stringList(raw.events, 'events') ?? OBJECT_CREATED_EVENTS).map(eventNameOf);
  for (const e of events) {
    if (!/^Object[A-Za-z]+:[A-Za-z]+$/.test(e)) fail(`"events": ${JSON.stringify(e)} is not an OSS object event name such as "ObjectCreated:PutObject"`);
  }

  const source = raw.source ?? 'oss://{bucket}/{key}';
  if (typeof source !== 'string') fail('"source" must be a URL pattern string');

  if (!isObject(raw.job)) fail('"job" must be an object with at least "output", e.g. {"output": "oss://out/{key_dir}/{key_base}/"}');
  checkKnownFields(raw.job, JOB_FIELDS, '"job"');
  const job = raw.job as unknown as JobTemplate;
  if (typeof job.output !== 'string') fail('"job.output" must be a URL pattern string');

  const queueRaw = raw.queue ?? {};
  if (!isObject(queueRaw)) fail('"queue" must be an object');
  checkKnownFields(queueRaw, ['enabled', 'allowedSchemes'], '"queue"');
  // Off unless asked for: a message names its own source and output, so it needs the allow-lists below.
  const enabled = queueRaw.enabled ?? false;
  if (typeof enabled !== 'boolean') fail('"queue.enabled" must be true or false');
  const allowedSchemes = (stringList(queueRaw.allowedSchemes, 'queue.allowedSchemes') ?? DEFAULT_SCHEMES) as Scheme[];
  for (const s of allowedSchemes) if (!SCHEMES.includes(s)) fail(`"queue.allowedSchemes": ${JSON.stringify(s)} is not one of ${SCHEMES.join(', ')}`);

  const outputs = stringList(raw.outputs, 'outputs');
  for (const o of outputs ?? []) {
    try {
      parseObjectUrl(o);
    } catch (err) {
      fail(`"outputs": ${(err as Error).message}`);
    }
  }
  if (enabled && (!buckets || !outputs)) {
    fail('"queue.enabled" needs "buckets" (the buckets message jobs may read) and "outputs" (the URL prefixes they may write): a message names both itself');
  }
  const limits = parseLimits(raw.limits);

  const reusePolicy = raw.reusePolicy ?? 'REJECT_DUPLICATE';
  if (!(REUSE_POLICIES as readonly unknown[]).includes(reusePolicy)) fail(`"reusePolicy" must be one of ${REUSE_POLICIES.join(', ')}`);

  const maxBodyBytes = raw.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || (maxBodyBytes as number) < 1024 || (maxBodyBytes as number) > 64 * 1024 * 1024) {
    fail('"maxBodyBytes" must be a whole number from 1024 to 67108864');
  }

  const config: TriggerConfig = {
    name,
    buckets,
    outputs,
    limits,
    prefixes,
    suffixes,
    events,
    source,
    job,
    queue: { enabled, allowedSchemes },
    reusePolicy: reusePolicy as ReusePolicy,
    maxBodyBytes: maxBodyBytes as number,
  };
  checkTemplates(config);
  return config;
}

function parseLimits(raw: unknown): TriggerLimits {
  if (raw === undefined) return { ...DEFAULT_TRIGGER_LIMITS };
  if (!isObject(raw)) fail('"limits" must be an object');
  checkKnownFields(raw, Object.keys(DEFAULT_TRIGGER_LIMITS), '"limits"');
  const limits = { ...DEFAULT_TRIGGER_LIMITS, ...raw } as TriggerLimits;
  const within = (name: keyof TriggerLimits, lo: number, hi: number, whole: boolean) => {
    const v = limits[name];
    if (typeof v !== 'number' || !(v >= lo && v <= hi) || (whole && !Number.isInteger(v))) fail(`"limits.${name}" must be a ${whole ? 'whole ' : ''}number from ${lo} to ${hi}`);
  };
  within('maxRenditions', 1, MAX_RENDITIONS, true);
  within('maxFps', 1, MAX_FPS, false);
  within('minSegmentSeconds', MIN_SEGMENT_SECONDS, MAX_SEGMENT_SECONDS, false);
  within('maxShards', 1, MAX_SHARDS, true);
  return limits;
}

/** Why a valid job goes beyond the trigger's limits or allowed outputs, or undefined; each names the setting. */
export function jobBeyondTrigger(config: Pick<TriggerConfig, 'limits' | 'outputs'>, job: TranscodeJob): string | undefined {
  const { limits } = config;
  if (job.renditions.length > limits.maxRenditions) return `it asks for ${job.renditions.length} renditions; this trigger starts at most ${limits.maxRenditions} ("limits.maxRenditions")`;
  const fast = job.renditions.find((r) => r.video.fps !== undefined && r.video.fps > limits.maxFps);
  if (fast) return `rendition ${fast.name} asks for ${fast.video.fps} fps; this trigger allows at most ${limits.maxFps} ("limits.maxFps")`;
  if (job.segmentSeconds !== undefined && job.segmentSeconds < limits.minSegmentSeconds) return `"segmentSeconds" is ${job.segmentSeconds}; this trigger needs at least ${limits.minSegmentSeconds} ("limits.minSegmentSeconds")`;
  if (config.outputs && !config.outputs.some((prefix) => safeWithin(job.output, prefix))) {
    return `the output ${job.output} is not below any of "outputs" (${config.outputs.join(', ')})`;
  }
  return undefined;
}

function safeWithin(url: string, prefix: string): boolean {
  try {
    return isWithin(url, prefix);
  } catch {
    return false;
  }
}

export function loadTriggerConfig(file: string): TriggerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TriggerConfigError(`cannot read trigger config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TriggerConfigError(`trigger config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseTriggerConfig(raw);
  } catch (err) {
    if (err instanceof TriggerConfigError) throw new TriggerConfigError(`trigger config ${file}: ${err.message}`);
    throw err;
  }
}

/** True when the key passes the prefix and suffix filters. */
export function keyMatches(config: Pick<TriggerConfig, 'prefixes' | 'suffixes'>, key: string): boolean {
  const lower = key.toLowerCase();
  return (
    config.prefixes.some((p) => key.startsWith(p)) &&
    (config.suffixes.length === 0 || config.suffixes.some((s) => lower.endsWith(s.toLowerCase())))
  );
}

/**
 * Renders the templates for a sample object and validates the job it makes,
 * so a bad preset or pattern fails now. Then refuses a setup where the job's
 * own outputs would match the filters: each would start another job, forever.
 */
function checkTemplates(config: TriggerConfig): void {
  try {
    checkTemplate(config.source, '"source"');
    checkTemplate(config.job.output, '"job.output"');
  } catch (err) {
    fail((err as Error).message);
  }
  const sampleBuckets = config.buckets ?? ['sample-bucket'];
  const literalOut = safeParse(renderTemplate(config.job.output, 'sample-bucket', 'k'))?.bucket;
  if (literalOut && !sampleBuckets.includes(literalOut) && (!config.buckets || config.buckets.includes(literalOut))) sampleBuckets.push(literalOut);

  for (const bucket of sampleBuckets) {
    for (const prefix of config.prefixes) {
      const key = `${prefix}sample/clip${config.suffixes[0] ?? '.mp4'}`;
      const input = { ...config.job, source: renderTemplate(config.source, bucket, key), output: renderTemplate(config.job.output, bucket, key) };
      let job;
      try {
        job = normalizeJob(input);
      } catch (err) {
        fail(`"job" does not make a valid job (for ${input.source}): ${(err as Error).message}`);
      }
      const beyond = jobBeyondTrigger(config, job);
      if (beyond) fail(`"job" makes a job this trigger would refuse (for ${input.source}): ${beyond}`);
      const src = parseObjectUrl(job.source);
      const out = parseObjectUrl(job.output);
      if (src.scheme !== out.scheme || src.bucket !== out.bucket) continue;
      const base = out.key === '' || out.key.endsWith('/') ? out.key : `${out.key}/`;
      const files = [...job.renditions.map((r) => `${r.name}.${r.container}`), 'manifest.json'];
      const looping = files.map((f) => base + f).find((k) => keyMatches(config, k));
      if (looping) {
        fail(
          `"job.output" writes ${out.scheme}://${out.bucket}/${looping}, which the "prefix"/"suffix" filters accept: ` +
            'every output would start another job. Write outputs under another prefix or bucket, list the source buckets in "buckets", or narrow the filters',
        );
      }
    }
  }
}

function safeParse(url: string) {
  try {
    return parseObjectUrl(url);
  } catch {
    return undefined;
  }
}
