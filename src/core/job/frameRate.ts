// The constant frame rate a rendition is encoded at. Pure.
import type { RenditionSpec } from './rendition';

/** The rendition's own fps when it sets one, else the rate chosen for the source ("num/den"). */
export function renditionFrameRate(rendition: RenditionSpec, sourceRate: string): string {
  return rendition.video.fps !== undefined ? String(rendition.video.fps) : sourceRate;
}
