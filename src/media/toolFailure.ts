// Tells an ffmpeg failure caused by the input's bytes (the same every time)
// from one caused by the machine (killed, disk full, storage hiccup), which a
// retry may cure.
import { ProcessError } from './runProcess';

const INPUT_DATA = [
  /Invalid data found when processing input/i,
  /Error while decoding/i,
  /moov atom not found/i,
  /could not find codec parameters/i,
  /Error splitting the input into NAL units/i,
  /invalid NAL unit/i,
  /corrupt/i,
  /Invalid frame dimensions/i,
  /no decoder/i,
  /Decoder .* not found/i,
  /unsupported codec/i,
];

const MACHINE = [/No space left/i, /Input\/output error/i, /Cannot allocate memory/i, /Resource temporarily unavailable/i, /timed out/i, /Connection/i, /Broken pipe/i];

/** True when ffmpeg exited on its own over data it could not read from the input. */
export function isInputDataError(err: unknown): err is ProcessError {
  if (!(err instanceof ProcessError) || err.exitCode === null) return false;
  const text = err.stderrTail;
  return INPUT_DATA.some((re) => re.test(text)) && !MACHINE.some((re) => re.test(text));
}

/**
 * The reason in ffmpeg's or ffprobe's stderr, fit for one line of an error message. The cause usually comes a
 * line before the verdict ("moov atom not found" then "Invalid data found when processing input"), so the
 * last two distinct lines are kept, without the demuxer tag ("[mov,mp4,... @ 0x55...]") or the local path,
 * which the caller names as an object URL instead.
 */
export function toolReason(stderr: string, file: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, '').trim())
    .map((l) => (l.startsWith(`${file}: `) ? l.slice(file.length + 2) : l))
    .filter((l) => l !== '');
  const distinct = lines.filter((l, i) => lines.lastIndexOf(l) === i);
  return distinct.slice(-2).join('; ') || 'no error output';
}
