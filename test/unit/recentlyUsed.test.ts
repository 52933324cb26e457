// What a worker keeps between the tasks of a job: the most recently used few,
// and never a timeline for an object that changed since.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentlyUsed } from '../../src/activities/recentlyUsed';
import { timelineKey } from '../../src/activities/timelineMemo';

describe('RecentlyUsed', () => {
  it('forgets the least recently used entry beyond its size', () => {
    const kept = new RecentlyUsed<number>(2);
    kept.set('a', 1);
    kept.set('b', 2);
    assert.equal(kept.get('a'), 1, 'a read makes "a" the most recent');
    kept.set('c', 3);
    assert.equal(kept.get('b'), undefined, '"b" was the oldest');
    assert.deepEqual([kept.get('a'), kept.get('c')], [1, 3]);
    kept.delete('a');
    assert.equal(kept.get('a'), undefined);
  });
});

describe('timelineKey', () => {
  it('differs when the object was rewritten (size, etag or time) or another stream is read', () => {
    const object = { url: 'file:///media/in.mp4', size: 100, etag: 'x', lastModified: new Date(1000) };
    const key = timelineKey(object, 0);
    assert.equal(timelineKey({ ...object }, 0), key);
    for (const changed of [{ ...object, size: 101 }, { ...object, etag: 'y' }, { ...object, lastModified: new Date(2000) }, { ...object, url: 'file:///media/other.mp4' }]) {
      assert.notEqual(timelineKey(changed, 0), key);
    }
    assert.notEqual(timelineKey(object, 1), key);
  });
});
