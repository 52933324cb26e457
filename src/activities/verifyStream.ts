// Streaming output: reads the package back before anything is published.
// Every rung: its fragments' decode times run on without a gap or overlap, its
// segments played in order (init + segments, as a player appends them) hold
// exactly the grid's frames at a constant step with a keyframe opening every
// segment; the master playlist, read by ffprobe's HLS demuxer, offers every
// rung and the audio group; the audio covers the video.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ErrorType, permanentError } from '../core/errors';
import type { VerifyStreamInput } from '../core/contracts';
import { outputSize } from '../media/ffmpegArgs';
import { parseRational, toNumber, type Rational } from '../core/media/rational';
import { runFfprobe } from '../media/ffmpeg';
import { compareSize } from '../media/frameCompare';
import { SEAM_COMPARE_SHORT_SIDE } from '../media/seamCheck';
import { compareSeams } from '../media/seamComparison';
import { MASTER_PLAYLIST, MEDIA_PLAYLIST } from '../stream/hlsPlaylists';
import { INIT_SEGMENT, segmentFileName } from '../media/cmafArgs';
import type { ObjectStore } from '../storage/objectStore';
import type { TrackTimeline } from '../stream/trackTimeline';
import { cancellationSignal, heartbeating, mediaFailure, withScratch } from './activityKit';
import type { ActivityDeps } from './deps';
import { ticksPerFrame } from './shardSegments';
import { readStoredTrack, type StoredTrack } from './streamTracks';
import { workArea } from './workArea';
import { seamCutsOf } from './shardPlanStore';
import { subtitleProblems } from './verifySubtitles';
import { withSource } from './sourceAccess';
import { thumbnailProblems } from './verifyThumbnails';

/** Frames named one by one in a problem; the rest are counted. */
const MAX_NAMED = 3;

export function verifyStream({ config, stores }: ActivityDeps) {
  return async function verifyStream(input: VerifyStreamInput): Promise<void> {
    const work = stores.for(input.workUrl);
    const fps = parseRational(input.fps);
    if (!fps) throw new Error(`internal: bad frame rate ${input.fps}`);
    await withScratch(config.scratchDir, (scratch) =>
      heartbeating(async () => {
        const problems: string[] = [];
        const tracks = new Map<string, StoredTrack>();
        // Every rung's timeline and played frames (reads and ffprobe, so the rungs go side by side).
        const rungs = await Promise.all(
          input.rungs.map(async (r) => {
            const rung = { name: r.name, ...outputSize(input.geometry, r.rendition.video) };
            const track = await readStoredTrack(work, input.workUrl, rung.name, scratch);
            const found: string[] = [];
            const step = ticksPerFrame(track.timeline.timescale, fps);
            found.push(...gapsIn(track.timeline, `rung ${rung.name}`));
            const ticks = track.timeline.durations.reduce((a, b) => a + b, 0);
            if (BigInt(ticks) !== BigInt(input.totalFrames) * step) {
              found.push(`rung ${rung.name} covers ${ticks} ticks, ${input.totalFrames} frames take ${BigInt(input.totalFrames) * step}`);
            }
            const joined = path.join(scratch, `${rung.name}.mp4`);
            const played = await playedFrames(track, rung, input, fps, joined);
            return { rung, track, joined, played, found: [...found, ...played] };
          }),
        );
        for (const r of rungs) {
          tracks.set(r.rung.name, r.track);
          problems.push(...r.found);
        }
        // Frame-exact as file output: the frames on both sides of every shard cut against the source's at the same
        // grid times, for every rung that plays right. Rungs compared at the same size share one source decode.
        problems.push(...(await seamsOf(stores, scratch, rungs.filter((r) => r.played.length === 0), input, config.verifyThreads)));
        if (input.audio) {
          const audio = await readStoredTrack(work, input.workUrl, input.audio, scratch);
          tracks.set(input.audio, audio);
          problems.push(...gapsIn(audio.timeline, 'the audio'));
          const seconds = audio.timeline.durations.reduce((a, b) => a + b, 0) / audio.timeline.timescale;
          // Placed on the video's timeline: it lasts to the video's end (or the source audio's, if earlier), give or
          // take the last AAC frame (1024 samples) and the source's own rounding.
          const want = input.audioSeconds ?? input.sourceSeconds;
          if (Math.abs(seconds - want) > 1024 / audio.timeline.timescale + 0.05) {
            problems.push(`the audio lasts ${seconds.toFixed(3)} s, it should last ${want.toFixed(3)} s (the video ${input.sourceSeconds.toFixed(3)} s)`);
          }
        }
        problems.push(...(await subtitleProblems(stores, input, scratch)));
        if (input.formats.includes('hls')) {
          const master = await localPackage(work, input.workUrl, tracks, scratch, path.join(scratch, 'package'), input.subtitles?.map((s) => s.file));
          problems.push(...(await masterProblems(master, input)));
        }
        problems.push(...(await thumbnailProblems(work, input, scratch)));
        if (problems.length > 0) {
          throw permanentError(ErrorType.VerifyFailed, `the streaming package failed verification: ${problems.join('; ')}`);
        }
      }),
    );
  };
}

/** The seams of the rungs, compared as verifyRendition compares a file's; one comparison per compare size. */
async function seamsOf(
  stores: ActivityDeps['stores'],
  scratch: string,
  rungs: { rung: { name: string; width: number; height: number }; joined: string }[],
  input: VerifyStreamInput,
  threads: number,
): Promise<string[]> {
  if (rungs.length === 0) return [];
  const cuts = await seamCutsOf(stores, input.seams, scratch);
  if (cuts.length === 0) return [];
  const groups = new Map<string, typeof rungs>();
  for (const r of rungs) {
    const size = compareSize(r.rung.width, r.rung.height, SEAM_COMPARE_SHORT_SIDE);
    const key = `${size.width}x${size.height}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const sv = input.sourceVideo;
  const problems: string[] = [];
  for (const group of groups.values()) {
    const names = group.map((r) => r.rung.name).join(', ');
    const result = await withSource(stores.for(input.seams.source), input.seams.source, scratch, async ({ input: source }) => {
      try {
        return await compareSeams({
          source,
          videoStream: sv.index,
          fps: input.fps,
          gridStart: input.seams.gridStart,
          cuts,
          sourceSeconds: sv.endTime - sv.startTime,
          sourceKeyframes: sv.keyframeCount,
          outputs: group.map((r) => r.joined),
          outputStart: 0,
          outputFrames: input.totalFrames,
          width: group[0].rung.width,
          height: group[0].rung.height,
          judgement: { noFloor: input.seams.watermarked },
          threads,
          signal: cancellationSignal(),
        });
      } catch (err) {
        throw mediaFailure(`comparing the frames at the shard seams of rung(s) ${names} with the source`, err);
      }
    });
    group.forEach((r, i) => problems.push(...result.problems[i].slice(0, MAX_NAMED).map((p) => `rung ${r.rung.name}: ${p}`)));
  }
  return problems;
}

/** Segments whose decode time is not where the one before ended. */
function gapsIn(t: TrackTimeline, what: string): string[] {
  const problems: string[] = [];
  if (t.starts[0] !== 0) problems.push(`${what} starts at decode time ${t.starts[0]}, not 0`);
  for (let i = 1; i < t.starts.length; i++) {
    const want = t.starts[i - 1] + t.durations[i - 1];
    if (t.starts[i] !== want) problems.push(`${what}: segment ${t.firstNumber + i} starts at ${t.starts[i]}, the one before ends at ${want}`);
  }
  return problems.length <= MAX_NAMED ? problems : [...problems.slice(0, MAX_NAMED), `${problems.length - MAX_NAMED} more gaps in ${what}`];
}

/** The rung as a player appends it (init, then every segment), read by ffprobe packet by packet. */
async function playedFrames(track: StoredTrack, rung: { name: string; width: number; height: number }, input: VerifyStreamInput, fps: Rational, file: string): Promise<string[]> {
  await fs.writeFile(file, track.init);
  for (const f of track.files) await fs.appendFile(file, await fs.readFile(f));
  let out: string;
  try {
    out = await runFfprobe(['-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags:stream=width,height', '-of', 'json', file], cancellationSignal());
  } catch (err) {
    throw mediaFailure(`reading back rung ${rung.name}`, err);
  }
  const json = JSON.parse(out) as { packets?: { pts_time?: string; flags?: string }[]; streams?: { width?: number; height?: number }[] };
  const packets = json.packets ?? [];
  const problems: string[] = [];
  const size = json.streams?.[0];
  if (size?.width !== rung.width || size?.height !== rung.height) problems.push(`rung ${rung.name} is ${size?.width}x${size?.height}, not ${rung.width}x${rung.height}`);
  if (packets.length !== input.totalFrames) problems.push(`rung ${rung.name} has ${packets.length} frames, the job's grid ${input.totalFrames}`);
  const frame = 1 / toNumber(fps);
  const bad: string[] = [];
  packets.forEach((p, i) => {
    const pts = Number(p.pts_time);
    if (Math.abs(pts - i * frame) > frame / 4) bad.push(`frame ${i} at ${pts.toFixed(4)} s, not ${(i * frame).toFixed(4)} s`);
    if (i % input.segmentFrames === 0 && !(p.flags ?? '').includes('K')) bad.push(`segment ${i / input.segmentFrames} does not start with a keyframe`);
  });
  if (bad.length > 0) problems.push(`rung ${rung.name}: ${bad.slice(0, MAX_NAMED).join(', ')}${bad.length > MAX_NAMED ? ` and ${bad.length - MAX_NAMED} more` : ''}`);
  return problems;
}

/**
 * The HLS package in one local folder, as ffprobe's HLS demuxer reads it whatever store the work area is on: the
 * playlists, each track's init segment, and links to the segments already read. Returns the master playlist's path.
 */
async function localPackage(work: ObjectStore, workUrl: string, tracks: Map<string, StoredTrack>, scratch: string, dir: string, subtitleFiles: string[] = []): Promise<string> {
  const copy = async (name: string): Promise<void> => {
    await fs.copyFile(await work.localPath(workArea.stream(workUrl, name), scratch), path.join(dir, name));
  };
  for (const [name, track] of tracks) {
    await fs.mkdir(path.join(dir, name), { recursive: true });
    await fs.writeFile(path.join(dir, name, INIT_SEGMENT), track.init);
    for (let i = 0; i < track.files.length; i++) await fs.symlink(track.files[i], path.join(dir, name, segmentFileName(track.timeline.firstNumber + i)));
    await copy(`${name}/${MEDIA_PLAYLIST}`);
  }
  for (const file of subtitleFiles) {
    const folder = path.dirname(file);
    await fs.mkdir(path.join(dir, folder), { recursive: true });
    await copy(file);
    await copy(`${folder}/${MEDIA_PLAYLIST}`);
  }
  await copy(MASTER_PLAYLIST);
  return path.join(dir, MASTER_PLAYLIST);
}

/** ffprobe's HLS demuxer reads the master playlist: one video stream per rung at its size, and the audio group. */
async function masterProblems(master: string, input: VerifyStreamInput): Promise<string[]> {
  let out: string;
  try {
    out = await runFfprobe(['-show_entries', 'stream=codec_type,width,height', '-of', 'json', master], cancellationSignal());
  } catch (err) {
    throw mediaFailure('reading back the master playlist', err);
  }
  const streams = (JSON.parse(out) as { streams?: { codec_type?: string; width?: number; height?: number }[] }).streams ?? [];
  const problems: string[] = [];
  const sizes = streams.filter((s) => s.codec_type === 'video').map((s) => `${s.width}x${s.height}`).sort();
  const want = input.rungs.map((r) => outputSize(input.geometry, r.rendition.video)).map((r) => `${r.width}x${r.height}`).sort();
  if (sizes.join(',') !== want.join(',')) problems.push(`the master playlist offers video ${sizes.join(', ') || 'none'}, the ladder is ${want.join(', ')}`);
  const audio = streams.some((s) => s.codec_type === 'audio');
  if (audio !== (input.audio !== undefined)) problems.push(input.audio ? 'the master playlist offers no audio' : 'the master playlist offers audio the job has none of');
  return problems;
}
