// Lists the packets of one stream with ffprobe, as JSON. CSV is not safe:
// packets with side data (captions, SCTE-35) add blank lines to it. The JSON
// is read as it streams, one packet object at a time, so a long video's
// million packets never sit in memory as one string.
import type { PacketFacts } from '../core/media/videoTimeline';
import { streamFfprobe } from './ffmpeg';

interface PacketJson {
  pts?: number;
  dts?: number;
  duration?: number;
  flags?: string;
}

/** Splits ffprobe's `{"packets": [ {...}, {...} ]}` into the packet objects' texts, whatever the line breaks. */
export class PacketObjectSplitter {
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

export function packetFacts(p: PacketJson): PacketFacts {
  const flags = p.flags ?? '';
  return {
    pts: typeof p.pts === 'number' ? p.pts : undefined,
    dts: typeof p.dts === 'number' ? p.dts : undefined,
    duration: typeof p.duration === 'number' ? p.duration : undefined,
    key: flags.includes('K'),
    discard: flags.includes('D'),
  };
}

/** Every packet of stream `stream`, in decode order, timestamps in ticks of the stream's timebase. Decodes nothing. */
export async function scanPackets(file: string, stream: number, signal?: AbortSignal): Promise<PacketFacts[]> {
  const packets: PacketFacts[] = [];
  const splitter = new PacketObjectSplitter((text) => packets.push(packetFacts(JSON.parse(text) as PacketJson)));
  await streamFfprobe(
    ['-select_streams', String(stream), '-show_entries', 'packet=pts,dts,duration,flags', '-of', 'json=compact=1', file],
    (line) => splitter.push(`${line}\n`),
    signal,
  );
  return packets;
}
