// Which objects below the work root make up whose work area: job areas are
// named by job id, flow areas by the request id of the split that made them,
// distributed Map chunks by the workflow that planned them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupWorkAreas } from '../../src/workAreaGc';

const at = (iso: string): Date => new Date(iso);

describe('groupWorkAreas', () => {
  it('groups job and flow areas with their owner, object count, bytes and newest write', () => {
    const root = 'oss://bkt/work/';
    const areas = groupWorkAreas(root, [
      { url: 'oss://bkt/work/job-1/shards/000000.mkv', size: 10, lastModified: at('2026-01-01T00:00:00Z') },
      { url: 'oss://bkt/work/job-1/video/mp4-360p/000000.mp4', size: 5, lastModified: at('2026-01-02T00:00:00Z') },
      { url: 'oss://bkt/work/video-proc/my-flow.0a1b2c3d.7/split-plan.json', size: 2, lastModified: at('2026-01-03T00:00:00Z') },
      { url: 'oss://bkt/work/video-proc/my.flow.019ad3f2-7c41-7e0b-9a55-3c2d1e0f4b6a.7/split-plan.json', size: 3, lastModified: at('2026-01-04T00:00:00Z') },
      { url: 'oss://bkt/work/flow-map-runs/my-flow.map-1.0123456789abcdef0123456789abcdef/items/000000.json', size: 4, lastModified: at('2026-01-05T00:00:00Z') },
      // Not areas: objects directly in the root, names that are not job ids, flow folders not named by split.
      { url: 'oss://bkt/work/readme.txt', size: 1 },
      { url: 'oss://bkt/work/%2e/x', size: 1 },
      { url: 'oss://bkt/work/video-proc/not-a-request/x', size: 1 },
      { url: 'oss://bkt/work/flow-map-runs/no-run-name/items/000000.json', size: 1 },
      { url: 'oss://bkt/elsewhere/job-2/x', size: 1 },
    ]);
    assert.deepEqual(areas, [
      { url: 'oss://bkt/work/flow-map-runs/my-flow.map-1.0123456789abcdef0123456789abcdef/', kind: 'flow', owner: 'my-flow.map-1', objects: 1, bytes: 4, lastModified: at('2026-01-05T00:00:00Z') },
      { url: 'oss://bkt/work/job-1/', kind: 'job', owner: 'job-1', objects: 2, bytes: 15, lastModified: at('2026-01-02T00:00:00Z') },
      { url: 'oss://bkt/work/video-proc/my-flow.0a1b2c3d.7/', kind: 'flow', owner: 'my-flow', objects: 1, bytes: 2, lastModified: at('2026-01-03T00:00:00Z') },
      { url: 'oss://bkt/work/video-proc/my.flow.019ad3f2-7c41-7e0b-9a55-3c2d1e0f4b6a.7/', kind: 'flow', owner: 'my.flow', objects: 1, bytes: 3, lastModified: at('2026-01-04T00:00:00Z') },
    ]);
  });

  it('sees file:// areas however the root is spelled', () => {
    const areas = groupWorkAreas('file:///data/./work', [{ url: 'file:///data/work/job-9/a.mkv', size: 3 }]);
    assert.deepEqual(areas.map((a) => [a.url, a.owner]), [['file:///data/./work/job-9/', 'job-9']]);
  });
});
