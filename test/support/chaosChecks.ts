// What every chaos scenario asserts once its job ended, and the figures it
// measures: every frame published once (manifest last), nothing partial or
// orphaned, and the encode work the fault cost.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import type { ChaosRig } from './chaosRig';
import { chaosJob, CLIP_FRAMES, CLIP_SECONDS, filesBelow, RENDITIONS } from './chaosRig';
import { chaosTargetName } from './chaosTargets';
import { resultAcrossOutages } from './chaosWaits';
import { videoOf } from './ffprobe';
import { activityRuns } from './history';

/** The job's output has every frame in every rendition, was published once with manifest.json last, and left nothing behind. */
export async function assertCompleteAndClean(rig: ChaosRig, handle: WorkflowHandle, result: TranscodeResult, output: string): Promise<void> {
  assert.equal(result.renditions.length, RENDITIONS.length);
  const manifest = path.join(output, 'manifest.json');
  assert.ok(existsSync(manifest), `${manifest} published`);
  for (const r of result.renditions) {
    const file = fileURLToPath(r.url);
    const video = videoOf(file);
    assert.equal(video.frames, CLIP_FRAMES, `${r.name}: every frame`);
    assert.ok(Math.abs(video.duration - CLIP_SECONDS) < 0.05, `${r.name}: duration ${video.duration} s, not ${CLIP_SECONDS} s`);
    assert.ok(statSync(file).mtimeMs <= statSync(manifest).mtimeMs, `${r.name} was written before manifest.json`);
  }
  assert.equal(JSON.parse(readFileSync(manifest, 'utf8')).jobId, handle.workflowId);
  const publishes = await activityRuns(rig.client, [handle.workflowId], 'publishOutputs');
  assert.equal([...publishes.keys()].length, 1, 'one publish activity');
  assert.deepEqual(
    filesBelow(output).filter((f) => f.includes('.partial-')),
    [],
    'nothing partial at the output prefix',
  );
  assert.equal(existsSync(path.join(rig.dir, 'work', handle.workflowId)), false, 'work area removed');
  assertNoScratch(rig);
}

/**
 * Whether scenarios run their job once without a fault first. CHAOS_BASELINE=0 (the bounded CI pass) skips that: every
 * check stays, only recovery time goes unmeasured.
 */
export const MEASURE_BASELINE = process.env.CHAOS_BASELINE !== '0';

/**
 * Runs the scenario's job without a fault and returns its run time in seconds: what recovery time is measured against;
 * undefined when baselines are off.
 */
export async function baselineJobSeconds(rig: ChaosRig): Promise<number | undefined> {
  if (!MEASURE_BASELINE) return undefined;
  const output = path.join(rig.dir, 'baseline');
  const started = Date.now();
  const handle = await rig.startJob(chaosJob(output));
  await assertCompleteAndClean(rig, handle, await resultAcrossOutages(handle), output);
  return (Date.now() - started) / 1000;
}

export function assertNoScratch(rig: ChaosRig): void {
  const scratch = rig.config.scratchDir;
  const left = existsSync(scratch) ? readdirSync(scratch).filter((n) => /^(act|copy)-/.test(n)) : [];
  assert.deepEqual(left, [], `no scratch folder left in ${scratch}`);
}

/** encodeShard runs per shard task, across the job's batch workflow and its first `repairs` repair workflows. */
export function encodeRuns(client: Client, jobId: string, repairs = 0): Promise<Map<string, number>> {
  const ids = [`${jobId}.shards-0`, ...Array.from({ length: repairs }, (_, i) => `${jobId}.repair-${i + 1}-0`)];
  return activityRuns(client, ids, 'encodeShard');
}

/** Encode runs beyond one per shard task; asserts that none of `finishedBeforeFault` ran again. */
export function extraEncodes(runs: Map<string, number>, finishedBeforeFault: string[]): { extra: number; rerun: string[] } {
  for (const id of finishedBeforeFault) assert.equal(runs.get(id), 1, `${id} finished before the fault and was not encoded again`);
  const rerun = [...runs].filter(([, n]) => n > 1).map(([id]) => id);
  return { extra: [...runs.values()].reduce((sum, n) => sum + n - 1, 0), rerun };
}

export interface ChaosFigure {
  scenario: string;
  /** Job time with the fault, in seconds. */
  jobSeconds: number;
  /** The same job's time without the fault; recovery time is the difference. */
  baselineSeconds: number | undefined;
  extraEncodes: number;
  lost: string;
}

/** Prints a figure, with the target it was measured on, as one JSON line the suite's output can be searched for (`chaos-figure`). */
export function reportFigure(figure: ChaosFigure): void {
  const { scenario, jobSeconds, baselineSeconds, extraEncodes, lost } = figure;
  const tenths = (n: number): number => Math.round(n * 10) / 10;
  const recoverySeconds = baselineSeconds === undefined ? null : tenths(jobSeconds - baselineSeconds);
  const line = { target: chaosTargetName(), scenario, recoverySeconds, jobSeconds: tenths(jobSeconds), extraEncodes, lost };
  process.stdout.write(`chaos-figure ${JSON.stringify(line)}\n`);
}
