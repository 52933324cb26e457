// Frame rates as exact fractions: "30000/1001" survives a round trip, 29.97 does not.

export interface Rational {
  num: number;
  den: number;
}

export function parseRational(text: string | undefined): Rational | undefined {
  if (!text) return undefined;
  const [n, d = '1'] = text.split('/');
  const num = Number(n);
  const den = Number(d);
  if (!Number.isFinite(num) || !Number.isFinite(den) || num <= 0 || den <= 0) return undefined;
  return { num, den };
}

export function toNumber(r: Rational): number {
  return r.num / r.den;
}

export function formatRational(r: Rational): string {
  return `${r.num}/${r.den}`;
}

const STANDARD_RATES: Rational[] = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 48, den: 1 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
  { num: 60, den: 1 },
  { num: 100, den: 1 },
  { num: 120, den: 1 },
];

/**
 * The constant rate shards are encoded at. The container's r_frame_rate can
 * be a timebase artefact (24 fps content flagged 30), so the measured average
 * wins; it snaps to a standard rate within 1% so VFR phone clips get 60, not 60.06.
 */
export function chooseFrameRate(average: Rational | undefined, nominal: Rational | undefined): Rational {
  const measured = average ?? nominal;
  if (!measured) return { num: 25, den: 1 };
  const value = toNumber(measured);
  let best: Rational | undefined;
  for (const rate of STANDARD_RATES) {
    const diff = Math.abs(toNumber(rate) - value) / value;
    if (diff <= 0.01 && (!best || diff < Math.abs(toNumber(best) - value) / value)) best = rate;
  }
  if (best) return best;
  return { num: Math.round(value * 1000), den: 1000 };
}
