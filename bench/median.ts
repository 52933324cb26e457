// The middle of a set of measurements: the bench's pairs and rounds are
// summarised by their median, so one pair hit by load elsewhere moves it least.

/** The middle item by `key` (the lower middle of an even count). */
export function median<T>(items: T[], key: (x: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
