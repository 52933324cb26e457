// Request bodies are attacker-reachable input: every accepted shape must parse
// to the same events, and every malformed or unsafe one must be refused with a
// message that names the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unsafeKeyReason, slug, splitKey } from '../../src/triggers/objectKey';
import { parseSignatureHeader, ReplayCache, secretFromEnv, signatureMatches, signTrigger, timestampProblem } from '../../src/triggers/signature';
import { BadEventError, MAX_EVENTS_PER_REQUEST, parseTriggerBody, type TriggerEvent } from '../../src/triggers/triggerEvents';
import { eventBridgeOssEvent, fcOssEvent, mnsEvent, ossRecord } from '../support/ossEvents';

const body = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));
const obj = { bucket: 'media-in', key: 'uploads/a/clip.mp4', etag: '688A7BF4F233DC9C88A80BF985AB7329', size: 4096 };

function refuses(doc: unknown, pattern: RegExp, headers = {}): void {
  assert.throws(
    () => parseTriggerBody(typeof doc === 'string' ? Buffer.from(doc) : body(doc), headers),
    (err: unknown) => err instanceof BadEventError && pattern.test(err.message),
  );
}

describe('parseTriggerBody: accepted shapes', () => {
  const expected: TriggerEvent = {
    kind: 'object',
    where: 'events[0]',
    eventName: 'ObjectCreated:PutObject',
    bucket: 'media-in',
    key: 'uploads/a/clip.mp4',
    etag: '688a7bf4f233dc9c88a80bf985ab7329',
    size: 4096,
    region: 'cn-hangzhou',
  };

  it('reads every record of an FC OSS trigger event', () => {
    const events = parseTriggerBody(body(fcOssEvent(obj, { ...obj, key: 'b.mov', eventName: 'ObjectCreated:CompleteMultipartUpload' })));
    assert.equal(events.length, 2);
    assert.deepEqual(events[0], expected);
    assert.equal((events[1] as { eventName: string }).eventName, 'ObjectCreated:CompleteMultipartUpload');
    assert.equal(events[1].where, 'events[1]');
  });

  it('reads an EventBridge OSS CloudEvent, alone, batched, or in binary mode', () => {
    const ce = eventBridgeOssEvent(obj);
    assert.deepEqual(parseTriggerBody(body(ce)), [{ ...expected, where: 'event.data' }]);
    const batch = parseTriggerBody(body([ce, eventBridgeOssEvent({ ...obj, key: 'other.mp4' })]));
    assert.deepEqual(batch.map((e) => e.where), ['events[0].data', 'events[1].data']);
    const binary = parseTriggerBody(body(ce.data), { 'ce-specversion': '1.0', 'ce-type': 'oss:ObjectCreated:PutObject', 'ce-id': 'x' });
    assert.deepEqual(binary, [{ ...expected, where: 'event.data' }]);
  });

  it('reads an MNS message whose body is job JSON, base64 of it, or an object', () => {
    const job = { source: 'oss://media-in/a.mp4', output: 'oss://media-out/a/' };
    for (const messageBody of [JSON.stringify(job), Buffer.from(JSON.stringify(job)).toString('base64'), job]) {
      assert.deepEqual(parseTriggerBody(body(mnsEvent(messageBody, 'M1'))), [{ kind: 'job', where: 'event', messageId: 'M1', job }]);
    }
  });

  it('strips quotes from etags and keeps other CloudEvent types as "other"', () => {
    const [e] = parseTriggerBody(body(fcOssEvent({ ...obj, etag: '"ABC-3"' })));
    assert.equal((e as { etag: string }).etag, 'abc-3');
    assert.deepEqual(parseTriggerBody(body({ specversion: '1.0', type: 'ecs:Instance:Stopped', data: {} })), [{ kind: 'other', where: 'event', type: 'ecs:Instance:Stopped' }]);
  });
});

describe('parseTriggerBody: refusals', () => {
  it('refuses bodies that are not JSON or not a known shape', () => {
    refuses('{"events": [', /not valid JSON/);
    refuses('"hello"', /must be a JSON object/);
    refuses({ hello: 'world' }, /neither an OSS trigger event .* nor a CloudEvent/);
    refuses({ events: {} }, /"events" must be a list/);
    refuses({ events: [] }, /no events/);
    refuses({ events: Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => ossRecord(obj)) }, /at most 100 per request/);
  });

  it('names the missing or wrong field', () => {
    refuses({ events: [{ eventName: 'ObjectCreated:PutObject' }] }, /events\[0\]\.oss must be an object/);
    const noName = ossRecord(obj);
    (noName.oss as { bucket: object }).bucket = {};
    refuses({ events: [noName] }, /events\[0\]\.oss\.bucket\.name must be a non-empty string/);
    refuses(fcOssEvent({ ...obj, bucket: 'Bad_Bucket' }), /not a valid bucket name/);
    refuses(fcOssEvent({ ...obj, etag: '' }), /eTag must be a non-empty string/);
    refuses(fcOssEvent({ ...obj, etag: '<script>' }), /eTag must be hex digits/);
    refuses({ specversion: '1.0', type: 'oss:ObjectCreated:PutObject' }, /event\.data must be the OSS event record/);
    refuses({ specversion: '1.0', type: 'evil\u001b[2J', data: {} }, /event\.type contains control characters/);
    refuses(mnsEvent('{}', 'M\n1'), /event\.data\.messageId contains control characters/);
  });

  it('refuses path traversal, control characters and absolute keys', () => {
    refuses(fcOssEvent({ ...obj, key: 'uploads/../../etc/passwd.mp4' }), /events\[0\]\.oss\.object\.key is refused: .*"\.\." path component/);
    refuses(fcOssEvent({ ...obj, key: '..' }), /"\.\." path component/);
    refuses(fcOssEvent({ ...obj, key: 'uploads/a\nb.mp4' }), /control characters/);
    refuses(fcOssEvent({ ...obj, key: 'uploads/\u001b[2Jclip.mp4' }), /control characters/);
    refuses(fcOssEvent({ ...obj, key: '/etc/passwd' }), /starts with "\/"/);
    refuses(eventBridgeOssEvent({ ...obj, key: 'a/../b.mp4' }), /event\.data\.oss\.object\.key is refused/);
  });

  it('refuses MNS bodies that are not job JSON', () => {
    refuses(mnsEvent('not base64 at all!'), /neither job JSON nor base64/);
    refuses(mnsEvent(Buffer.from('just text').toString('base64')), /not valid job JSON after base64 decoding/);
    refuses(mnsEvent('{"source": '), /not valid job JSON/);
    refuses(mnsEvent('[1,2]'), /neither job JSON nor base64/);
  });
});

describe('object keys', () => {
  it('splits keys into dir, base and extension', () => {
    assert.deepEqual(splitKey('a/b/clip.final.mp4'), { dir: 'a/b', base: 'clip.final', ext: 'mp4' });
    assert.deepEqual(splitKey('clip'), { dir: '', base: 'clip', ext: '' });
    assert.deepEqual(splitKey('a/.hidden'), { dir: 'a', base: '.hidden', ext: '' });
  });

  it('accepts ordinary keys, including dots inside names and non-ASCII', () => {
    for (const key of ['a.mp4', 'a/b..c/d.mp4', '视频/上传 1.mov', 'a/./b.mp4']) assert.equal(unsafeKeyReason(key), undefined, key);
    assert.match(unsafeKeyReason('x'.repeat(1024))!, /longer than 1023 bytes/);
    assert.match(unsafeKeyReason(42)!, /non-empty string/);
  });

  it('slugs names into id-safe fragments', () => {
    assert.equal(slug('My Clip (final)'), 'My-Clip-final');
    assert.equal(slug('视频'), 'object');
    assert.equal(slug('--a--'), 'a');
    assert.equal(slug('x'.repeat(100)).length, 40);
  });
});

describe('HMAC signature', () => {
  const secret = 'a-test-secret-of-some-length';
  const payload = Buffer.from('{"events":[]}');

  it('accepts exactly the signature of this timestamp and body under this secret', () => {
    const ts = '1700000000';
    const header = signTrigger(secret, ts, payload);
    assert.match(header, /^sha256=[0-9a-f]{64}$/);
    const claimed = parseSignatureHeader(header)!;
    assert.equal(signatureMatches(secret, ts, payload, claimed), true);
    assert.equal(signatureMatches(`${secret}x`, ts, payload, claimed), false);
    assert.equal(signatureMatches(secret, '1700000001', payload, claimed), false, 'the timestamp is signed');
    assert.equal(signatureMatches(secret, ts, Buffer.from('{"events":[ ]}'), claimed), false);
    assert.equal(signatureMatches(secret, ts, payload, parseSignatureHeader(header.toUpperCase().replace('SHA256', 'sha256'))!), true);
  });

  it('takes timestamps within 5 minutes either way, and each signature once', () => {
    const now = 1_700_000_000_000;
    assert.equal(timestampProblem('1700000000', now), undefined);
    assert.equal(timestampProblem('1699999700', now), undefined);
    assert.equal(timestampProblem('1700000300', now), undefined);
    assert.match(timestampProblem('1699999699', now)!, /301 s away.*at most 300 s/);
    assert.match(timestampProblem('1700000301', now)!, /301 s away/);
    assert.match(timestampProblem(undefined, now)!, /missing X-Shardflow-Timestamp/);
    assert.match(timestampProblem('1700000000.5', now)!, /whole Unix seconds/);
    const replays = new ReplayCache();
    assert.equal(replays.firstUse('1700000000', 'ab', now), true);
    assert.equal(replays.firstUse('1700000000', 'AB', now + 1000), false, 'the same signature again');
    assert.equal(replays.firstUse('1700000001', 'ab', now), true, 'another timestamp is another request');
    replays.forget('1700000001', 'ab');
    assert.equal(replays.firstUse('1700000001', 'ab', now), true, 'a request that was not carried out may be sent again');
  });

  it('refuses headers in any other form', () => {
    for (const h of [undefined, '', 'sha256=', 'sha1=abc', `sha256=${'z'.repeat(64)}`, `sha256=${'a'.repeat(63)}`, ['sha256=x']]) {
      assert.equal(parseSignatureHeader(h as string), undefined, String(h));
    }
  });

  it('requires a secret of at least 16 characters', () => {
    assert.throws(() => secretFromEnv({}), /SHARDFLOW_TRIGGER_SECRET is not set/);
    assert.throws(() => secretFromEnv({ SHARDFLOW_TRIGGER_SECRET: 'short' }), /at least 16 characters/);
    assert.equal(secretFromEnv({ SHARDFLOW_TRIGGER_SECRET: secret }), secret);
  });
});
