// A worker SIGKILLed at each stage of a job, a second worker started after it:
// the job completes, the killed worker's ffmpeg died with it (pdeathsig), the
// second worker's start sweeps its scratch, and finished shards stay done.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, watch } from 'node:fs';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { assertCompleteAndClean, baselineJobSeconds, encodeRuns, extraEncodes, reportFigure } from '../support/chaosChecks';
import { chaosJob, slowMediaTools, startChaosRig, type ChaosRig } from '../support/chaosRig';
import { activityRunning, poll, resultAcrossOutages } from '../support/chaosWaits';
import { sleep } from '../support/until';
import { activityRuns, completedActivityIds } from '../support/history';
import { mediaToolsOf, processExists } from '../support/processes';

/** Each stage, by the activity that runs it. */
const STAGES = [
  { stage: 'probe', activity: 'probeSource' },
  { stage: 'split', activity: 'splitSource' },
  { stage: 'encode', activity: 'encodeShard' },
  { stage: 'audio', activity: 'encodeAudio' },
  { stage: 'merge', activity: 'mergeRendition' },
  { stage: 'verify', activity: 'verifyRendition' },
  { stage: 'publish', activity: 'publishOutputs' },
] as const;

const TOOLS = /\b(ffmpeg|ffprobe)\b/;

/** Delays every rename of the worker by 3 s (strace fault injection), so a stage that ends writing a file lasts. */
function holdRenames(pid: number): ChildProcess {
  const renames = 'rename,renameat,renameat2';
  return spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-p', String(pid), '-e', `trace=${renames}`, '-e', `inject=${renames}:delay_enter=3000000`], {
    stdio: 'ignore',
  });
}

let rig: ChaosRig;
/** Every worker runs ffmpeg and ffprobe half a second late, so the short stages last long enough to be hit. */
let slow: Record<string, string>;
let baselineSeconds: number | undefined;

before(async () => {
  rig = await startChaosRig(7392);
  slow = slowMediaTools(rig.dir, 0.5);
  const w = await rig.startWorker(slow);
  baselineSeconds = await baselineJobSeconds(rig);
  await w.kill('SIGTERM');
});
after(async () => {
  await rig?.close();
});

const only = process.env.CHAOS_STAGES?.split(',');
for (const { stage, activity } of STAGES.filter((s) => !only || only.includes(s.stage))) {
  it(`completes after the worker is SIGKILLed during ${stage}`, { timeout: 240_000 }, async () => {
    const first = await rig.startWorker(slow);
    const pid = first.child.pid!;
    const output = path.join(rig.dir, `out-${stage}`);
    mkdirSync(output, { recursive: true });
    const started = Date.now();
    const handle = await rig.startJob(chaosJob(output));
    const jobId = handle.workflowId;

    let tools: number[] = [];
    let tracer: ChildProcess | undefined;
    if (stage === 'publish') {
      // Publishing two small files takes milliseconds: once verify runs, the worker's renames are held, and the
      // kill lands when publish creates its first rendition file (prepare's write check creates another name).
      await poll('verify running', async () => ((await activityRunning(rig.client, jobId, 'verifyRendition')) ? true : undefined));
      tracer = holdRenames(pid);
      await new Promise<void>((resolve) => {
        const watcher = watch(output, (_event, name) => {
          if (!name?.includes('.mp4')) return;
          process.kill(pid, 'SIGKILL');
          watcher.close();
          resolve();
        });
      });
    } else {
      const owner = stage === 'encode' ? `${jobId}.shards-0` : jobId;
      // Split reads the source's index without ffmpeg and is over in milliseconds, but it ends writing its
      // shard plan: hold the worker's renames from the probe on, so split is still running when the kill lands.
      if (stage === 'split') {
        await poll('probe running', async () => ((await activityRunning(rig.client, jobId, 'probeSource')) ? true : undefined), 120, 20);
        tracer = holdRenames(pid);
      }
      tools = await poll(`${activity} running`, async () => {
        // Encode: only once some shards are done, to prove they are not encoded again.
        if (stage === 'encode' && (await completedActivityIds(rig.client, owner, activity)).length < 2) return undefined;
        if (!(await activityRunning(rig.client, owner, activity))) return undefined;
        const running = mediaToolsOf(pid, TOOLS);
        return running.length > 0 || stage === 'split' ? running : undefined;
      }, 120, 20);
      process.kill(pid, 'SIGKILL');
    }
    tracer?.kill('SIGKILL');
    const faultAt = Date.now();
    await first.kill();
    const finished = await completedActivityIds(rig.client, `${jobId}.shards-0`, 'encodeShard').catch(() => [] as string[]);

    // pdeathsig: the killed worker's ffmpeg and ffprobe die with it.
    await poll('the killed worker\'s ffmpeg to end', async () => (tools.some(processExists) ? undefined : true), 5);
    const orphans = readdirSync(rig.config.scratchDir).filter((n) => n.includes(`.${pid}-`));

    const second = await rig.startWorker(slow);
    const swept = readdirSync(rig.config.scratchDir).filter((n) => n.includes(`.${pid}-`));
    assert.deepEqual(swept, [], `the second worker's start swept the killed worker's scratch (${orphans})`);
    const result = await resultAcrossOutages(handle);
    const ended = Date.now();
    await assertCompleteAndClean(rig, handle, result, output);

    const { extra, rerun } = extraEncodes(await encodeRuns(rig.client, jobId), finished);
    const stageRuns = await activityRuns(rig.client, stage === 'encode' ? [`${jobId}.shards-0`] : [jobId], activity);
    const again = [...stageRuns].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
    assert.ok(again.length > 0, `the ${stage} step that was killed ran again`);
    await second.kill('SIGTERM');
    await sleep(200);
    reportFigure({
      scenario: `worker SIGKILL during ${stage}`,
      jobSeconds: (ended - started) / 1000,
      baselineSeconds,
      extraEncodes: extra,
      lost: `${tools.length} ffmpeg/ffprobe killed, ${orphans.length} scratch folder(s) swept; ran again: ${again.join(', ') || 'none'}${
        rerun.length ? `; re-encoded: ${rerun.join(', ')}` : ''
      } (fault at ${((faultAt - started) / 1000).toFixed(1)} s)`,
    });
  });
}
