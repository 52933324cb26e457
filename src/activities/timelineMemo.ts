// The video timeline probe read, kept by the worker for the split that follows:
// the same worker usually runs both, and reading it again costs a packet scan
// and two decodes (for a remote source, its packets fetched twice). Keyed by
// the object's identity (URL, size, etag), so a changed source is read anew.
import type { ObjectInfo } from '../storage/objectStore';
import type { ReadTimeline } from '../media/readTimeline';
import { RecentlyUsed } from './recentlyUsed';

const kept = new RecentlyUsed<ReadTimeline>(4);

export function timelineKey(object: ObjectInfo, stream: number): string {
  return JSON.stringify([object.url, object.size, object.etag ?? '', object.lastModified?.getTime() ?? '', stream]);
}

export function rememberTimeline(key: string, timeline: ReadTimeline): void {
  kept.set(key, timeline);
}

export function recallTimeline(key: string): ReadTimeline | undefined {
  return kept.get(key);
}
