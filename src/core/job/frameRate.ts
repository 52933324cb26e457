// The constant frame rate a rendition is encoded at. Pure.
import type { RenditionSpec } from './rendition';

const NTSC: [number, number][] = [
  [24000, 1001],
  [30000, 1001],
  [60000, 1001],
  [120000, 1001],
];

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A decimal rate as an exact "num/den": 29.97 means NTSC's 30000/1001, 12.5 is 25/2. */
export function rateFraction(fps: number): string {
  for (const [num, den] of NTSC) if (Math.abs(num / den - fps) / fps < 1e-4) return `${num}/${den}`;
  let den = 1;
  while (den < 1e6 && Math.abs(Math.round(fps * den) - fps * den) > 1e-9) den *= 10;
  const num = Math.round(fps * den);
  const g = gcd(num, den);
  return `${num / g}/${den / g}`;
}

/** The rendition's own fps when it sets one, else the rate chosen for the source ("num/den"). */
export function renditionFrameRate(rendition: RenditionSpec, sourceRate: string): string {
  return rendition.video.fps !== undefined ? rateFraction(rendition.video.fps) : sourceRate;
}
