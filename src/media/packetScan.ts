// Lists the packets of one stream with ffprobe, as JSON. CSV is not safe:
// packets with side data (captions, SCTE-35) add blank lines to it. The JSON
// is read as it streams, one packet object at a time, so a long video's
// million packets never sit in memory as one string.
import type { PacketFacts } from '../core/media/videoTimeline';
import { streamFfprobe } from './ffmpeg';
import { sourceInput } from './sourceInput';

interface PacketJson {
  pts?: number;
  dts?: number;
  duration?: number;
  flags?: string;
}

/** Splits ffprobe's `{"packets": [ {...}, ... ], "streams": [ {...} ]}` into the objects' texts, whatever the line breaks. */
class PacketObjectSplitter {
  private depth = 0;
  private current = '';

  constructor(private readonly onObject: (text: string) => void) {}

  push(chunk: string): void {
    for (const ch of chunk) {
      if (ch === '{') this.depth++;
      if (this.depth >= 2) this.current += ch;
      if (ch === '}') {
        this.depth--;
        if (this.depth === 1) {
          this.onObject(this.current);
          this.current = '';
        }
      }
    }
  }
}

function packetFacts(p: PacketJson): PacketFacts {
  const flags = p.flags ?? '';
  return {
    pts: typeof p.pts === 'number' ? p.pts : undefined,
    dts: typeof p.dts === 'number' ? p.dts : undefined,
    duration: typeof p.duration === 'number' ? p.duration : undefined,
    key: flags.includes('K'),
    discard: flags.includes('D'),
  };
}

export interface PacketScan {
  /** The stream's timebase, "num/den". */
  timeBase: string;
  /** Every packet, in decode order, timestamps in ticks of `timeBase`. */
  packets: PacketFacts[];
}

/** Reads ffprobe's JSON for one stream's entry and packets, fed in chunks of any size. */
export class PacketScanParser {
  readonly scan: PacketScan = { timeBase: '', packets: [] };
  private readonly splitter = new PacketObjectSplitter((text) => {
    const obj = JSON.parse(text) as PacketJson & { time_base?: string };
    // Packets always carry flags; the stream's own entry (and, in MPEG-TS, its program's) come in lists beside them.
    if (obj.flags !== undefined) this.scan.packets.push(packetFacts(obj));
    else if (obj.time_base !== undefined) this.scan.timeBase = obj.time_base;
  });

  push(chunk: string): void {
    this.splitter.push(chunk);
  }
}

/** The ffprobe arguments whose output PacketScanParser reads. */
export function packetScanArgs(file: string, stream: number): string[] {
  return ['-select_streams', String(stream), '-show_entries', 'stream=time_base:packet=pts,dts,duration,flags', '-of', 'json=compact=1', ...sourceInput(file)];
}

/** Every packet of stream `stream` with the stream's timebase, in one ffprobe run. Decodes nothing. */
export async function scanPackets(file: string, stream: number, signal?: AbortSignal): Promise<PacketScan> {
  const parser = new PacketScanParser();
  await streamFfprobe(packetScanArgs(file, stream), (line) => parser.push(`${line}\n`), signal);
  return parser.scan;
}
