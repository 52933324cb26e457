// What the playlists say about one track: where each segment starts and how
// long it lasts (in the track's own timescale, read from its fragments) and
// how big it is. Both the HLS and the DASH writer work from this.

export interface TrackTimeline {
  /** Folder of the track in the package (its name). */
  name: string;
  timescale: number;
  /** Decode time of each segment's first fragment (tfdt), in ticks. */
  starts: number[];
  /** Ticks each segment covers. */
  durations: number[];
  /** Bytes of each segment. */
  sizes: number[];
  /** Number of the first segment (its file name). */
  firstNumber: number;
}

export interface TrackRates {
  /** Peak segment bit rate, bits per second. */
  peak: number;
  /** Mean bit rate over the track. */
  average: number;
  seconds: number;
  bytes: number;
}

/**
 * Bit rates measured from the segments (init segments not counted: a player fetches them once). A last segment of
 * less than half the first one's length (the audio's tail of a few samples) counts with the one before it for the
 * peak: alone, its fragment header over a few milliseconds would look like a huge peak.
 */
export function trackRates(t: TrackTimeline): TrackRates {
  const sizes = [...t.sizes];
  const durations = [...t.durations];
  const n = sizes.length;
  if (n >= 2 && durations[n - 1] * 2 < durations[0]) {
    sizes[n - 2] += sizes.pop()!;
    durations[n - 2] += durations.pop()!;
  }
  let peak = 0;
  sizes.forEach((size, i) => {
    const seconds = durations[i] / t.timescale;
    if (seconds > 0) peak = Math.max(peak, (size * 8) / seconds);
  });
  const bytes = t.sizes.reduce((a, b) => a + b, 0);
  const ticks = t.durations.reduce((a, b) => a + b, 0);
  const seconds = ticks / t.timescale;
  return { peak: Math.ceil(peak), average: seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0, seconds, bytes };
}
