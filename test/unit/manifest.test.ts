// manifest.json is published beside the outputs, so it must not carry what
// would let its readers fetch the source: presigned signatures, credentials.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildManifest, type ManifestFacts } from '../../src/core/manifest';

const facts = (source: string): ManifestFacts => ({
  jobId: 'job-1',
  source,
  createdAt: '2026-01-01T00:00:00.000Z',
  segmentSeconds: 2,
  splitMode: 'copy',
  shards: 1,
  sourceInfo: { formatName: 'mov', duration: 1, startTime: 0, size: 10 },
  renditions: [],
  timingsMs: {},
});

describe('buildManifest', () => {
  it('records the source without its query string or credentials', () => {
    const presigned = 's3://media/in/clip.mp4?X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=0123abcd';
    const text = JSON.stringify(buildManifest(facts(presigned)));
    assert.equal(buildManifest(facts(presigned)).source, 's3://media/in/clip.mp4');
    assert.doesNotMatch(text, /Signature|AKIAEXAMPLE/);
    assert.equal(buildManifest(facts('https://user:pw@cdn.example/in.mp4#t=1')).source, 'https://cdn.example/in.mp4');
    assert.equal(buildManifest(facts('file:///data/in.mp4')).source, 'file:///data/in.mp4');
  });
});
