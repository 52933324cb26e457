// Independent facts about source and output files for end-to-end tests:
// ffprobe and ffmpeg called directly, never through src/media, so a bug there
// cannot hide itself in the expectation.
import { execFileSync, spawnSync } from 'node:child_process';

export interface PacketTiming {
  /** Earliest video pts. */
  start: number;
  /** End of the last frame: max(pts + duration). */
  end: number;
  packets: number;
  keyframes: number[];
}

export interface SourceFacts {
  formatStart: number;
  video?: {
    index: number;
    width: number;
    height: number;
    /** Display-matrix rotation as ffprobe reports it (counter-clockwise degrees, e.g. -90). */
    rotation: number;
    rFrameRate: string;
    avgFrameRate: string;
    timing: PacketTiming;
    /** Frame durations vary by more than 5 %. */
    variable: boolean;
  };
  audio?: { index: number; codec: string; startTime: number; duration: number; sampleRate: number };
}

function ffprobeJson(args: string[]): any {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/** Scans the packets of one stream: timing from the container, nothing decoded. */
export function packetTiming(file: string, stream: number): PacketTiming & { minDuration: number; maxDuration: number } {
  const json = ffprobeJson(['-select_streams', String(stream), '-show_entries', 'packet=pts_time,duration_time,flags', file]);
  let start = Infinity;
  let end = -Infinity;
  let minDuration = Infinity;
  let maxDuration = 0;
  const keyframes: number[] = [];
  let packets = 0;
  for (const p of json.packets ?? []) {
    const pts = Number(p.pts_time);
    if (!Number.isFinite(pts)) continue;
    const dur = Number(p.duration_time);
    packets++;
    start = Math.min(start, pts);
    end = Math.max(end, pts + (Number.isFinite(dur) ? dur : 0));
    if (Number.isFinite(dur) && dur > 0) {
      minDuration = Math.min(minDuration, dur);
      maxDuration = Math.max(maxDuration, dur);
    }
    if (String(p.flags ?? '').includes('K')) keyframes.push(pts);
  }
  keyframes.sort((a, b) => a - b);
  return { start, end, packets, keyframes, minDuration, maxDuration };
}

export function sourceFacts(file: string): SourceFacts {
  const json = ffprobeJson(['-show_format', '-show_streams', file]);
  const streams: any[] = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = streams.find((s) => s.codec_type === 'audio');
  const facts: SourceFacts = { formatStart: Number(json.format?.start_time ?? 0) };
  if (v) {
    const timing = packetTiming(file, v.index);
    facts.video = {
      index: v.index,
      width: v.width,
      height: v.height,
      rotation: v.side_data_list?.find((d: { rotation?: number }) => typeof d.rotation === 'number')?.rotation ?? 0,
      rFrameRate: v.r_frame_rate,
      avgFrameRate: v.avg_frame_rate,
      timing,
      variable: timing.maxDuration > timing.minDuration * 1.05,
    };
  }
  if (a) {
    facts.audio = {
      index: a.index,
      codec: a.codec_name,
      startTime: Number(a.start_time ?? 0),
      duration: Number(a.duration ?? json.format?.duration),
      sampleRate: Number(a.sample_rate),
    };
  }
  return facts;
}

export function rate(text: string): number {
  const [n, d = '1'] = text.split('/');
  return Number(n) / Number(d);
}

/** The upright display size of a source, scaled so its short side is at most `short` (never upscaled), both sides even. */
export function expectedSize(facts: SourceFacts, short: number): { width: number; height: number } {
  const v = facts.video!;
  const turned = Math.abs(v.rotation) % 180 === 90;
  const w = turned ? v.height : v.width;
  const h = turned ? v.width : v.height;
  const scale = Math.min(short, Math.min(w, h)) / Math.min(w, h);
  // Even sides (4:2:0), never above the source's: 161x121 becomes 160x120.
  const even = (n: number, limit: number): number => Math.min(2 * Math.round(n / 2), limit - (limit % 2));
  return { width: even(w * scale, w), height: even(h * scale, h) };
}

/**
 * A plain single-pass encode of the whole source, the reference a sharded job
 * must match. ffmpeg autorotates by default, so the reference is upright.
 * -copyts keeps the source's own start time: without it ffmpeg's constant-rate
 * sync invents frames to fill a late-starting video stream, which the pipeline
 * deliberately does not (it keeps the source's A/V offset instead).
 */
export function singlePassEncode(source: string, out: string, filters: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-copyts', '-i', source, '-map', '0:v:0', '-vf', filters.join(','),
    '-c:v', 'libx264', '-preset', 'veryfast', '-an', out]);
}

/** Mean luma PSNR of `a` against `b`, frame by frame from each file's first frame (the psnr filter reports on stderr). */
export function psnrY(a: string, b: string): number {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', a, '-i', b, '-lavfi',
    // Stills of full-range sources come out as RGB, whose PSNR has no y: compare them as YUV.
    '[0:v]setpts=PTS-STARTPTS,format=yuv444p[a];[1:v]setpts=PTS-STARTPTS,format=yuv444p[b];[a][b]psnr', '-f', 'null', '-'], { encoding: 'utf8' });
  const m = / y:([\d.]+|inf) /.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`psnr of ${a} against ${b} failed: ${r.stderr.slice(-500)}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

/** The rate a constant-rate output should have: the nominal rate when the average is within 1 % of it (VFR jitter), else the average (a timebase artefact such as 24 fps flagged 30). */
export function expectedRate(facts: SourceFacts): string {
  const v = facts.video!;
  return Math.abs(rate(v.rFrameRate) / rate(v.avgFrameRate) - 1) <= 0.01 ? v.rFrameRate : v.avgFrameRate;
}

/** The video stream's frame rates as the container states them. */
export function videoRates(file: string): { r: string; avg: string } {
  const s = ffprobeJson(['-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate,avg_frame_rate', file]).streams[0];
  return { r: s.r_frame_rate, avg: s.avg_frame_rate };
}
