// ffmpeg and ffprobe as the bench uses them: generating the test clips,
// reading back what an encode produced, and comparing outputs to the source.
// Independent of src/media so the bench checks the pipeline, not itself.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cpuNow, type CpuSample } from './proc';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs a command with an argument array; rejects with the tail of stderr on failure. */
export function run(command: string, args: string[], options: { keepStdout?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (options.keepStdout !== false) out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    // psnr/ssim summaries arrive on stderr; keep the end, where they are.
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-65536);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new Error(`${command} ${args.slice(0, 6).join(' ')} … exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

export function ffmpeg(args: string[]): Promise<RunResult> {
  return run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args]);
}

/** Wall and CPU time of a piece of work; children's CPU counts ffmpeg processes this process waited for. */
export interface Timed<T> {
  value: T;
  wallMs: number;
  cpu: CpuSample;
}

export async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const value = await work();
  const wallMs = performance.now() - t0;
  const cpu1 = cpuNow();
  return { value, wallMs, cpu: { selfMs: cpu1.selfMs - cpu0.selfMs, childrenMs: cpu1.childrenMs - cpu0.childrenMs } };
}

// ---------------------------------------------------------------- clips

export interface ClipSpec {
  seconds: number;
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes of the source. */
  gop: number;
  /** x264 quality of the source itself; low values make a high-bitrate master. */
  crf: number;
}

/** Files being made right now: two clips of one size share a texture, and must not both write it. */
const making = new Map<string, Promise<string>>();

function atomically(file: string, make: (partial: string) => Promise<void>): Promise<string> {
  if (existsSync(file)) return Promise.resolve(file);
  let pending = making.get(file);
  if (!pending) {
    pending = (async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.partial${path.extname(file)}`;
      await make(partial);
      await fs.rename(partial, file);
      return file;
    })().finally(() => making.delete(file));
    making.set(file, pending);
  }
  return pending;
}

/** A detailed still twice the clip size: the edge of the Mandelbrot set holds fine detail next to smooth areas. */
function texture(dir: string, width: number, height: number): Promise<string> {
  return atomically(path.join(dir, `texture-${width * 2}x${height * 2}.png`), (out) =>
    ffmpeg([
      '-f', 'lavfi',
      '-i', `mandelbrot=s=${width * 2}x${height * 2}:start_x=-0.743643887037151:start_y=0.131825904205330:start_scale=0.0015:end_scale=0.0015:maxiter=400:inner=period:outer=normalized_iteration_count`,
      '-frames:v', '1', out,
    ]).then(() => undefined),
  );
}

/** Tones under pink noise: never silent, not periodic, so a gap or a shifted block stands out. */
const AUDIO_SOURCE =
  'aevalsrc=0.25*sin(2*PI*220*t)*(0.7+0.3*sin(2*PI*0.7*t))+0.15*sin(2*PI*331*t+2*sin(2*PI*0.25*t))' +
  '+0.1*sin(2*PI*587*t)*(0.5+0.5*sin(2*PI*3*t)):s=48000:c=stereo';

/**
 * A camera-like clip: a window pans across the detailed still (global motion),
 * a test pattern moves over it (local motion), temporal grain on every frame,
 * and stereo audio. Keyframes every `gop` frames, as a camera or mezzanine writes them.
 */
export async function makeClip(dir: string, spec: ClipSpec): Promise<string> {
  const { seconds, width: w, height: h, fps, gop, crf } = spec;
  const name = `clip-${seconds}s-${w}x${h}-${fps}fps-g${gop}-crf${crf}.mp4`;
  const tex = await texture(dir, w, h);
  return atomically(path.join(dir, name), (out) =>
    ffmpeg([
      '-i', tex,
      '-f', 'lavfi', '-i', `testsrc2=s=${Math.round(w / 8) * 2}x${Math.round(h / 8) * 2}:r=${fps}`,
      '-f', 'lavfi', '-i', AUDIO_SOURCE,
      '-f', 'lavfi', '-i', 'anoisesrc=c=pink:a=0.08:r=48000',
      '-filter_complex',
      // The still is converted once and looped, so every frame costs a crop, not a PNG decode.
      `[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB,` +
        `crop=${w}:${h}:x='${w / 2}+${w * 0.47}*sin(2*PI*t/23)':y='${h / 2}+${h * 0.47}*sin(2*PI*t/17+1)'[bg];` +
        `[1:v]format=yuv420p[fg];` +
        `[bg][fg]overlay=x='(W-w)*(0.5+0.45*sin(2*PI*t/7))':y='(H-h)*(0.5+0.45*cos(2*PI*t/5))',noise=alls=6:allf=t[v];` +
        `[2:a][3:a]amix=inputs=2:duration=first:normalize=0[a]`,
      '-map', '[v]', '-map', '[a]', '-t', String(seconds), '-r', String(fps),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', String(crf), '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
      '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', out,
    ]).then(() => undefined),
  );
}

/**
 * A source of at least `minBytes`: a short high-bitrate clip repeated with the
 * concat demuxer and stream copy, so its cost is disk speed, not encoding.
 */
export async function makeBigSource(dir: string, minBytes: number): Promise<string> {
  const unit = await makeClip(dir, { seconds: 10, width: 1920, height: 1080, fps: 30, gop: 60, crf: 6 });
  const unitSize = (await fs.stat(unit)).size;
  const copies = Math.ceil(minBytes / unitSize);
  const list = path.join(dir, `big-${copies}.txt`);
  await fs.writeFile(list, `file '${unit.replace(/'/g, "'\\''")}'\n`.repeat(copies));
  return atomically(path.join(dir, `big-${copies}x10s-1080p.mp4`), (out) =>
    ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', out]).then(() => undefined),
  );
}

// ---------------------------------------------------------------- reading outputs

export interface StreamFacts {
  codec: string;
  /** Packets counted by ffprobe (= frames for video). */
  packets: number;
  startTime: number;
  duration: number;
  width?: number;
  height?: number;
  sampleRate?: number;
}

export interface FileFacts {
  size: number;
  duration: number;
  video?: StreamFacts;
  audio?: StreamFacts;
}

export async function probe(file: string): Promise<FileFacts> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-print_format', 'json', '-show_format', '-show_streams', file]);
  const json = JSON.parse(stdout.toString('utf8')) as {
    format: { size: string; duration: string };
    streams: Record<string, string | number | undefined>[];
  };
  const facts = (type: string): StreamFacts | undefined => {
    const s = json.streams.find((x) => x.codec_type === type);
    if (!s) return undefined;
    return {
      codec: String(s.codec_name),
      packets: Number(s.nb_read_packets ?? 0),
      startTime: Number(s.start_time ?? 0),
      duration: Number(s.duration ?? json.format.duration),
      width: s.width === undefined ? undefined : Number(s.width),
      height: s.height === undefined ? undefined : Number(s.height),
      sampleRate: s.sample_rate === undefined ? undefined : Number(s.sample_rate),
    };
  };
  return { size: Number(json.format.size), duration: Number(json.format.duration), video: facts('video'), audio: facts('audio') };
}

/** Bytes of the video stream alone: audio differs between approaches and must not blur the size comparison. */
export async function videoBytes(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', file]);
  let total = 0;
  for (const line of stdout.toString('utf8').split('\n')) {
    const n = Number(line.trim().replace(/,$/, ''));
    if (Number.isFinite(n)) total += n;
  }
  return total;
}

/** Times of the keyframes of the first video stream (from the index; nothing decoded). */
export async function keyframeTimes(file: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file]);
  const out: number[] = [];
  for (const line of stdout.toString('utf8').split('\n')) {
    const [pts, flags] = line.split(',');
    if (flags?.includes('K') && Number.isFinite(Number(pts))) out.push(Number(pts));
  }
  return out.sort((a, b) => a - b);
}

export interface VideoQuality {
  psnr: number;
  psnrY: number;
  ssim: number;
  ssimY: number;
}

export interface CompareOptions {
  /** Also compute SSIM (costs about as much again as PSNR). */
  ssim?: boolean;
  /** Frames dropped from the start of the distorted (+) or the reference (-) side: pairs frames by index at that offset. */
  frameOffset?: number;
  /** Compare only this many frames, downscaled to this width: for cheap alignment probes. */
  frames?: number;
  width?: number;
}

/**
 * PSNR (and SSIM) of `distorted` against `reference` in one decode of each.
 * Without frameOffset, frames pair by timestamp, as a player shows them on the
 * source's timeline; with it, by index.
 */
export async function compareVideo(distorted: string, reference: string, o: CompareOptions = {}): Promise<VideoQuality> {
  const prep = (skip: number): string => {
    const parts: string[] = [];
    if (o.frameOffset !== undefined) parts.push(`trim=start_frame=${skip}`, 'setpts=N/TB');
    else parts.push('setpts=PTS-STARTPTS');
    if (o.frames) parts.push(`trim=end_frame=${o.frames}`);
    if (o.width) parts.push(`scale=${o.width}:-2`);
    return parts.join(',');
  };
  const d = prep(Math.max(0, o.frameOffset ?? 0));
  const r = prep(Math.max(0, -(o.frameOffset ?? 0)));
  const graph = o.ssim === false
    ? `[0:v]${d}[d];[1:v]${r}[r];[d][r]psnr`
    : `[0:v]${d}[d];[1:v]${r},split[r1][r2];[d][r1]psnr[d2];[d2][r2]ssim`;
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-i', distorted, '-i', reference, '-lavfi', graph, '-f', 'null', '-']);
  const psnr = /PSNR y:([\d.]+|inf) u:[\d.inf]+ v:[\d.inf]+ average:([\d.]+|inf)/.exec(stderr);
  const ssim = /SSIM Y:([\d.]+) .*All:([\d.]+)/.exec(stderr);
  if (!psnr || (o.ssim !== false && !ssim)) throw new Error(`no PSNR/SSIM summary comparing ${distorted}: ${stderr.slice(-400)}`);
  return { psnrY: Number(psnr[1]), psnr: Number(psnr[2]), ssimY: ssim ? Number(ssim[1]) : NaN, ssim: ssim ? Number(ssim[2]) : NaN };
}

/**
 * How many frames the distorted video runs ahead (+: it has extra frames at
 * the start) of the reference: the index offset whose first frames match best.
 */
export async function frameOffset(distorted: string, reference: string, range = 2): Promise<number> {
  let best = 0;
  let bestPsnr = -Infinity;
  for (let k = -range; k <= range; k++) {
    const q = await compareVideo(distorted, reference, { ssim: false, frameOffset: k, frames: 30, width: 320 });
    if (q.psnr > bestPsnr) {
      bestPsnr = q.psnr;
      best = k;
    }
  }
  return best;
}

export const AUDIO_RATE = 48000;

/** Decoded audio, mixed to mono at 48 kHz, as ffmpeg plays it (edit lists and priming applied). */
export async function decodeAudio(file: string): Promise<Float32Array> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(AUDIO_RATE), '-f', 'f32le', '-']);
  const copy = new Uint8Array(stdout.byteLength);
  copy.set(stdout);
  return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
}

// ---------------------------------------------------------------- audio at shard boundaries

export interface BoundaryFacts {
  /** Source time of the cut, seconds. */
  at: number;
  /** Samples the output gained (+) or lost (-) at this cut, relative to the source. */
  shiftSamples: number;
  /** RMS of what the output holds in the inserted stretch, relative to the source there (≈0: silence). */
  insertedLevel?: number;
  /** Worst 5 ms signal-to-error ratio next to the cut, dB. */
  worstSnrDb: number;
}

/** AAC at 128k keeps this content near 30 dB; a stretch under 10 dB is mostly error: a gap or a click. */
export const CLICK_SNR_DB = 10;

export interface AudioBoundaryReport {
  boundaries: number;
  /** Cuts where the output gained or lost samples. */
  discontinuities: number;
  /** Output timing against the source in the first shard, ms (+: late). */
  startOffsetMs: number;
  /** Output timing against the source in the last shard, ms (+: late). */
  driftMs: number;
  /** Largest jump at one cut, ms. */
  largestJumpMs: number;
  /** Cuts next to which some 5 ms stretch has an SNR under CLICK_SNR_DB: an audible glitch. */
  clicks: number;
  medianSnrDb: number;
  worstBoundarySnrDb: number;
  /** Lowest correlation found while aligning; far below 1 means a stretch did not match at all. */
  minCorrelation: number;
  perBoundary: BoundaryFacts[];
}

function decimate(x: Float32Array, from: number, count: number, factor: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    const base = from + i * factor;
    for (let k = 0; k < factor; k++) s += x[base + k] ?? 0;
    out[i] = s / factor;
  }
  return out;
}

/** Lag (output index − source index) that best matches the source around `at`, searched near `guess`. */
function findLag(out: Float32Array, ref: Float32Array, at: number, guess: number, radius: number): { lag: number; corr: number } {
  const n = 4096;
  const f = 4;
  const i0 = Math.max(0, Math.min(ref.length - n, at));
  const r = decimate(ref, i0, n / f, f);
  let best = guess;
  let bestCorr = -Infinity;
  // Coarse search on 4× decimated signals, then refine at full rate.
  for (let lag = guess - radius; lag <= guess + radius; lag += f) {
    const o = decimate(out, i0 + lag, n / f, f);
    const c = normCorr(r, o);
    if (c > bestCorr) {
      bestCorr = c;
      best = lag;
    }
  }
  const refFull = ref.subarray(i0, i0 + n);
  let fine = best;
  bestCorr = -Infinity;
  for (let lag = best - 2 * f; lag <= best + 2 * f; lag++) {
    const start = i0 + lag;
    if (start < 0 || start + n > out.length) continue;
    const c = normCorr(refFull, out.subarray(start, start + n));
    if (c > bestCorr) {
      bestCorr = c;
      fine = lag;
    }
  }
  return { lag: fine, corr: bestCorr };
}

function normCorr(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

function rms(x: Float32Array, from: number, to: number): number {
  let s = 0;
  let n = 0;
  for (let i = Math.max(0, from); i < Math.min(x.length, to); i++, n++) s += x[i] * x[i];
  return n === 0 ? 0 : Math.sqrt(s / n);
}

function snrDb(out: Float32Array, ref: Float32Array, refFrom: number, len: number, lag: number): number {
  let sig = 0;
  let err = 0;
  for (let i = refFrom; i < refFrom + len; i++) {
    const o = out[i + lag];
    if (o === undefined || i < 0 || i >= ref.length) continue;
    sig += ref[i] * ref[i];
    err += (o - ref[i]) * (o - ref[i]);
  }
  if (sig === 0) return 0;
  return err === 0 ? 120 : 10 * Math.log10(sig / err);
}

/**
 * Follows the output's alignment to the source shard by shard. A cut where the
 * alignment jumps is a discontinuity: the output gained samples (priming or
 * padding played as a gap) or lost some. The SNR next to each cut shows clicks.
 */
export function analyseBoundaries(out: Float32Array, ref: Float32Array, cuts: number[], sampleRate = AUDIO_RATE): AudioBoundaryReport {
  const radius = Math.round(0.1 * sampleRate);
  const edges = [0, ...cuts, ref.length / sampleRate];
  const lags: number[] = [];
  let minCorrelation = 1;
  let guess = 0;
  for (let k = 0; k < edges.length - 1; k++) {
    const span = edges[k + 1] - edges[k];
    const at = Math.round((edges[k] + Math.min(0.3, span / 3)) * sampleRate);
    const { lag, corr } = findLag(out, ref, at, guess, radius);
    lags.push(lag);
    minCorrelation = Math.min(minCorrelation, corr);
    guess = lag;
  }
  // Typical 5 ms SNR across the file, with each stretch at its own alignment.
  const frame = Math.round(0.005 * sampleRate);
  const typical: number[] = [];
  for (let k = 0; k < edges.length - 1; k++) {
    for (let t = edges[k] + 0.1; t < edges[k + 1] - 0.1; t += 0.25) typical.push(snrDb(out, ref, Math.round(t * sampleRate), frame, lags[k]));
  }
  typical.sort((a, b) => a - b);
  const medianSnrDb = typical.length ? typical[Math.floor(typical.length / 2)] : 0;

  const perBoundary: BoundaryFacts[] = [];
  for (let k = 1; k < edges.length - 1; k++) {
    const cut = Math.round(edges[k] * sampleRate);
    const shift = lags[k] - lags[k - 1];
    let worst = Infinity;
    // Up to the cut at the old alignment, after it at the new one; what was inserted in between is skipped here and measured below.
    for (let i = cut - 6 * frame; i < cut; i += frame) worst = Math.min(worst, snrDb(out, ref, i, frame, lags[k - 1]));
    for (let i = cut; i < cut + 6 * frame; i += frame) worst = Math.min(worst, snrDb(out, ref, i, frame, lags[k]));
    const facts: BoundaryFacts = { at: edges[k], shiftSamples: shift, worstSnrDb: worst };
    if (shift > 0) {
      const level = rms(ref, cut - shift, cut + shift);
      facts.insertedLevel = level === 0 ? 0 : rms(out, cut + lags[k - 1], cut + lags[k]) / level;
    }
    perBoundary.push(facts);
  }
  const jumps = perBoundary.map((b) => (Math.abs(b.shiftSamples) / sampleRate) * 1000);
  return {
    boundaries: perBoundary.length,
    discontinuities: perBoundary.filter((b) => b.shiftSamples !== 0).length,
    startOffsetMs: ((lags[0] ?? 0) / sampleRate) * 1000,
    driftMs: ((lags[lags.length - 1] ?? 0) / sampleRate) * 1000,
    largestJumpMs: jumps.length ? Math.max(...jumps) : 0,
    clicks: perBoundary.filter((b) => b.worstSnrDb < CLICK_SNR_DB).length,
    medianSnrDb,
    worstBoundarySnrDb: perBoundary.length ? Math.min(...perBoundary.map((b) => b.worstSnrDb)) : medianSnrDb,
    minCorrelation,
    perBoundary,
  };
}

/** Largest sample difference between two decodes; 0 means bit-identical audio. */
export function maxDifference(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
