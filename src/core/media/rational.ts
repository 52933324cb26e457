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
