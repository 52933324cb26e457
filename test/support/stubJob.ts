// Stand-ins for every activity a transcodeVideo job calls: no media and no
// storage, only answers shaped like the real ones. They count every call, so
// a workflow-logic test can say exactly what ran, how often and from which
// child workflow.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities, EncodeShardInput, MediaInfo } from '../../src/core/contracts';

/** The error type of the stub encoder's failures. */
export const STUB_FAILURE_TYPE = 'StubEncoderCrashed';

/** Frames every stub shard reports, so the job's frame accounting can be checked. */
export const FRAMES_PER_SHARD = 25;

export interface StubJobOptions {
  /** Shards the stub split cuts the source into (one second each). */
  shards: number;
  /** Shards (1-based) whose encodes fail, as `<shard>/<rendition>`; a test deletes a key to heal it. */
  failing?: Set<string>;
  /** Every encode waits for this before it returns (it never heartbeats, so it does not see a cancel). */
  encodesWaitFor?: Promise<void>;
}

export interface StubJob {
  activities: Partial<Activities>;
  /** Calls per activity name. */
  calls: Map<string, number>;
  /** encodeShard calls per `<shard>/<rendition>` (shard 1-based), every attempt counted. */
  shardRuns: Map<string, number>;
  /** encodeShard calls per calling workflow id (a batch child). */
  shardRunsByWorkflow: Map<string, number>;
  /** The inputs verifyRendition saw: what the job added up from its shards. */
  verified: { rendition: string; shardFrames?: number }[];
  count(activity: keyof Activities): number;
}

export function shardKey(shard: number, rendition: string): string {
  return `${shard}/${rendition}`;
}

function sourceOf(shards: number): MediaInfo {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    duration: shards,
    startTime: 0,
    size: shards * 100_000,
    video: {
      index: 0,
      codec: 'h264',
      width: 1280,
      height: 720,
      pixFmt: 'yuv420p',
      rotation: 0,
      rFrameRate: '25/1',
      avgFrameRate: '25/1',
      frameRate: '25/1',
      grid: { timeBase: '1/25', startPts: 0, endPts: shards * FRAMES_PER_SHARD },
      timing: 'packets',
      startTime: 0,
      endTime: shards,
      frameCount: shards * FRAMES_PER_SHARD,
      keyframeCount: shards,
      variableFrameRate: false,
    },
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000, startTime: 0, duration: shards },
  };
}

export function stubJob(options: StubJobOptions): StubJob {
  const calls = new Map<string, number>();
  const shardRuns = new Map<string, number>();
  const shardRunsByWorkflow = new Map<string, number>();
  const verified: StubJob['verified'] = [];
  const bump = (map: Map<string, number>, key: string): void => {
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  const counted = <A extends unknown[], R>(name: keyof Activities, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      bump(calls, name);
      return fn(...args);
    };

  const activities: Partial<Activities> = {
    prepareWorkArea: counted('prepareWorkArea', async (input) => `file:///work/${input.jobId}/`),
    probeSource: counted('probeSource', async () => sourceOf(options.shards)),
    // The plan stays in the (stub) work area: only its size travels, and no stub reads it.
    splitSource: counted('splitSource', async (input) => ({ mode: 'copy' as const, count: options.shards, planUrl: `${input.workUrl}shard-plan.json` })),
    encodeShard: counted('encodeShard', async (input: EncodeShardInput) => {
      const key = shardKey(input.index + 1, input.rendition.name);
      bump(shardRuns, key);
      bump(shardRunsByWorkflow, Context.current().info.workflowExecution?.workflowId ?? '(none)');
      // Retryable, like a crashed encoder: the activity's retry policy runs out before the job sees it.
      if (options.failing?.has(key)) throw ApplicationFailure.create({ type: STUB_FAILURE_TYPE, message: `stub encoder crashed on shard ${key}` });
      await options.encodesWaitFor;
      return { frames: FRAMES_PER_SHARD, reused: false };
    }),
    encodeAudio: counted('encodeAudio', async (input) => `${input.workUrl}audio-${input.rendition.name}.m4a`),
    mergeRendition: counted('mergeRendition', async (input) => `${input.workUrl}${input.rendition.name}.${input.rendition.container}`),
    verifyRendition: counted('verifyRendition', async (input) => {
      verified.push({ rendition: input.rendition.name, shardFrames: input.shardFrames });
      return { name: input.rendition.name, file: `${input.rendition.name}.${input.rendition.container}`, size: 1, duration: options.shards, frames: input.shardFrames ?? 0 };
    }),
    verifySeams: counted('verifySeams', async () => ({})),
    publishOutputs: counted('publishOutputs', async (input) => ({ manifestUrl: `${input.output}manifest.json`, urls: input.files.map((f) => f.url) })),
    cleanWorkArea: counted('cleanWorkArea', async () => 1),
  };
  return { activities, calls, shardRuns, shardRunsByWorkflow, verified, count: (name) => calls.get(name) ?? 0 };
}
