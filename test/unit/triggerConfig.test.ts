// The trigger config decides which objects start which jobs; a mistake there
// either starts nothing or starts jobs forever, so both are checked at load.
// Also: URL templates, the jobs planned from events, and derived workflow ids.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileJobId, objectJobId, queueJobId } from '../../src/triggers/jobIds';
import { planJobs } from '../../src/triggers/jobPlan';
import { DEFAULT_CONFIG_FILE, keyMatches, parseTriggerConfig, TriggerConfigError } from '../../src/triggers/triggerConfig';
import { BadEventError, parseTriggerBody } from '../../src/triggers/triggerEvents';
import { checkTemplate, renderTemplate } from '../../src/triggers/urlTemplate';
import { fcOssEvent, mnsEvent } from '../support/ossEvents';

const minimal = { buckets: ['media-in'], job: { output: 'oss://media-out/{key_dir}/{key_base}/' } };

function refusesConfig(raw: unknown, pattern: RegExp): void {
  assert.throws(() => parseTriggerConfig(raw), (err: unknown) => err instanceof TriggerConfigError && pattern.test(err.message));
}

describe('URL templates', () => {
  it('fills every placeholder', () => {
    const url = renderTemplate('oss://out/{bucket}/{key_dir}/{key_base}.{key_ext}/{key}', 'in', 'a/b/clip.mp4');
    assert.equal(url, 'oss://out/in/a/b/clip.mp4/a/b/clip.mp4');
  });

  it('collapses the "//" an empty {key_dir} leaves, but not the scheme\'s', () => {
    assert.equal(renderTemplate('oss://out/{key_dir}/{key_base}/', 'in', 'clip.mp4'), 'oss://out/clip/');
    assert.equal(renderTemplate('file:///srv/out/{key_dir}/{key_base}/', '', 'clip.mp4'), 'file:///srv/out/clip/');
  });

  it('escapes "%" in file:// URLs only, where it would be percent-decoded', () => {
    assert.equal(renderTemplate('file:///out/{key_base}/', '', '100%.mp4'), 'file:///out/100%25/');
    assert.equal(renderTemplate('oss://out/{key_base}/', 'b', '100%.mp4'), 'oss://out/100%/');
  });

  it('refuses unknown placeholders', () => {
    assert.throws(() => checkTemplate('oss://out/{key_name}/', '"job.output"'), /"job\.output": unknown placeholder \{key_name\}/);
    checkTemplate('oss://out/{bucket}/{key}/{key_dir}/{key_base}/{key_ext}', 'x');
  });
});

describe('parseTriggerConfig', () => {
  it('fills defaults around a minimal config', () => {
    const c = parseTriggerConfig(minimal);
    assert.equal(c.name, 'oss');
    assert.deepEqual(c.prefixes, ['']);
    assert.deepEqual(c.suffixes, []);
    assert.deepEqual(c.events, ['ObjectCreated:PutObject', 'ObjectCreated:PostObject', 'ObjectCreated:CompleteMultipartUpload']);
    assert.equal(c.source, 'oss://{bucket}/{key}');
    assert.equal(c.reusePolicy, 'REJECT_DUPLICATE');
    assert.equal(c.maxBodyBytes, 1024 * 1024);
    assert.deepEqual(c.queue, { enabled: false, allowedSchemes: ['oss', 's3'] }, 'queue messages are off unless enabled');
    assert.deepEqual(c.limits, { maxRenditions: 4, maxFps: 60, minSegmentSeconds: 2, maxShards: 2000 });
    assert.equal(c.outputs, undefined);
  });

  it('takes single strings or lists, and EventBridge event types', () => {
    const c = parseTriggerConfig({ ...minimal, prefix: 'up/', suffix: ['.MP4', '.mov'], events: ['oss:ObjectCreated:PutObject'] });
    assert.deepEqual(c.prefixes, ['up/']);
    assert.deepEqual(c.events, ['ObjectCreated:PutObject']);
    assert.equal(keyMatches(c, 'up/a.mp4'), true, 'suffixes ignore case');
    assert.equal(keyMatches(c, 'up/a.MOV'), true);
    assert.equal(keyMatches(c, 'down/a.mp4'), false);
    assert.equal(keyMatches(c, 'up/a.mkv'), false);
  });

  it('refuses typos, bad values and bad jobs, naming the field', () => {
    refusesConfig({ ...minimal, sufix: '.mp4' }, /unknown field "sufix"/);
    refusesConfig({ job: { output: 'oss://o/{key_base}/', rendition: ['mp4-720p'] } }, /"job": unknown field "rendition"/);
    refusesConfig({ ...minimal, job: 'oss://o/' }, /"job" must be an object/);
    refusesConfig({}, /"job" must be an object/);
    refusesConfig({ ...minimal, buckets: 'Media' }, /"buckets"/);
    refusesConfig({ ...minimal, name: 'Has Spaces' }, /"name" must be/);
    refusesConfig({ ...minimal, events: ['PutObject'] }, /"events": "PutObject" is not an OSS object event name/);
    refusesConfig({ ...minimal, reusePolicy: 'ALLOW_DUPLICATE' }, /"reusePolicy" must be one of/);
    refusesConfig({ ...minimal, maxBodyBytes: 10 }, /"maxBodyBytes"/);
    refusesConfig({ ...minimal, queue: { allowedSchemes: ['ftp'] } }, /"queue.allowedSchemes": "ftp"/);
    refusesConfig({ job: { output: 'oss://o/{name}/' } }, /"job.output": unknown placeholder \{name\}/);
    refusesConfig({ ...minimal, job: { ...minimal.job, renditions: ['mp4-9000p'] } }, /unknown preset "mp4-9000p"/);
    refusesConfig({ ...minimal, job: { ...minimal.job, segmentSeconds: 0 } }, /segmentSeconds/);
    refusesConfig({ ...minimal, queue: { enabled: true } }, /"queue.enabled" needs "buckets" .* and "outputs"/);
    refusesConfig({ ...minimal, outputs: ['ftp://x/'] }, /"outputs": .*unsupported scheme/);
    refusesConfig({ ...minimal, limits: { maxRenditions: 11 } }, /"limits.maxRenditions" must be a whole number from 1 to 10/);
    refusesConfig({ ...minimal, limits: { minSegmentSeconds: 0.1 } }, /"limits.minSegmentSeconds" must be a number from 0.5/);
    refusesConfig({ ...minimal, limits: { maxShard: 3 } }, /"limits": unknown field "maxShard"/);
    // The template itself must pass the trigger's own limits and outputs.
    refusesConfig({ ...minimal, job: { ...minimal.job, segmentSeconds: 1 } }, /"job" makes a job this trigger would refuse .*"segmentSeconds" is 1; this trigger needs at least 2/);
    refusesConfig({ ...minimal, outputs: ['oss://elsewhere/'] }, /the output oss:\/\/media-out\/.* is not below any of "outputs" \(oss:\/\/elsewhere\/\)/);
  });

  it('refuses outputs that the filters would pick up again: each would start another job', () => {
    refusesConfig({ job: { output: 'oss://{bucket}/out/{key_base}/' } }, /writes oss:\/\/sample-bucket\/out\/clip\/mp4-720p\.mp4, which the "prefix"\/"suffix" filters accept/);
    refusesConfig({ prefix: 'in/', job: { output: 'oss://{bucket}/in/done/{key_base}/' } }, /every output would start another job/);
    refusesConfig({ buckets: ['media'], suffix: '.json', job: { output: 'oss://media/o/{key_base}/' } }, /manifest\.json/);
    // A literal output bucket with no bucket filter: events from that bucket would loop.
    refusesConfig({ job: { output: 'oss://media-out/{key_base}/' } }, /oss:\/\/media-out\/clip\/mp4-720p\.mp4/);
    // Safe: another prefix, another bucket, or a suffix the outputs do not have.
    parseTriggerConfig({ prefix: 'in/', job: { output: 'oss://{bucket}/out/{key_base}/' } });
    parseTriggerConfig({ buckets: ['media-in'], job: { output: 'oss://media-out/{key_base}/' } });
    parseTriggerConfig({ suffix: '.mov', job: { output: 'oss://{bucket}/{key_dir}/{key_base}/' } });
    parseTriggerConfig(DEFAULT_CONFIG_FILE);
  });
});

describe('planJobs', () => {
  const config = parseTriggerConfig({
    name: 'uploads',
    buckets: ['media-in'],
    prefix: 'uploads/',
    suffix: ['.mp4', '.mov'],
    outputs: ['oss://media-out/', 'oss://media-in/out/'],
    queue: { enabled: true },
    job: { output: 'oss://media-out/{key_dir}/{key_base}/', renditions: ['mp4-360p'], segmentSeconds: 4 },
  });
  const obj = { bucket: 'media-in', key: 'uploads/day1/clip.mp4', etag: 'aa11' };
  const plan = (doc: unknown) => planJobs(config, parseTriggerBody(Buffer.from(JSON.stringify(doc))));

  it('makes one job per accepted object, from the template', () => {
    const p = plan(fcOssEvent(obj));
    assert.deepEqual(p.skipped, []);
    assert.equal(p.jobs.length, 1);
    assert.deepEqual(p.jobs[0].input, {
      output: 'oss://media-out/uploads/day1/clip/',
      renditions: ['mp4-360p'],
      segmentSeconds: 4,
      source: 'oss://media-in/uploads/day1/clip.mp4',
      maxShards: 2000,
    });
    assert.equal(p.jobs[0].workflowId, objectJobId('uploads', 'media-in', 'uploads/day1/clip.mp4', 'aa11'));
    assert.match(p.jobs[0].cause, /ObjectCreated:PutObject oss:\/\/media-in\/uploads\/day1\/clip\.mp4/);
  });

  it('skips, with a reason, what the filters leave out', () => {
    const p = plan(
      fcOssEvent(
        { ...obj, eventName: 'ObjectRemoved:DeleteObject' },
        { ...obj, bucket: 'elsewhere' },
        { ...obj, key: 'other/clip.mp4' },
        { ...obj, key: 'uploads/notes.txt' },
        { ...obj, key: 'uploads/folder/' },
        obj,
        obj,
      ),
    );
    assert.equal(p.jobs.length, 1);
    assert.deepEqual(
      p.skipped.map((s) => s.reason.replace(/\(.*\)/, '(id)')),
      [
        'event ObjectRemoved:DeleteObject is not in "events"',
        'bucket elsewhere is not in "buckets"',
        'the key does not match "prefix"/"suffix"',
        'the key does not match "prefix"/"suffix"',
        'the key names a folder',
        'same object as an earlier event in this request (id)',
      ],
    );
  });

  it('takes a queue job as sent, in our shape or the Alibaba sample shape, with a derived id and the trigger\'s shard cap', () => {
    const job = { source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/a/', renditions: ['mp4-480p'] };
    const p = plan(mnsEvent(Buffer.from(JSON.stringify(job)).toString('base64'), 'MSG-1'));
    assert.deepEqual(p.jobs[0].input, { ...job, maxShards: 2000 });
    assert.equal(p.jobs[0].workflowId, queueJobId('uploads', 'MSG-1', job));
    const alibaba = plan(mnsEvent({ oss_bucket_name: 'media-in', video_key: 'uploads/a.mov', output_prefix: 'out/a', dst_formats: ['mp4'] }));
    assert.equal(alibaba.jobs[0].input.source, 'oss://media-in/uploads/a.mov');
  });

  it('refuses queue jobs that are invalid or reach outside the allowed schemes, buckets, prefixes and outputs', () => {
    const refused = (job: Record<string, unknown>, pattern: RegExp) => assert.throws(() => plan(mnsEvent(job)), (e: unknown) => e instanceof BadEventError && pattern.test(e.message));
    refused({ source: 'oss://media-in/uploads/b.mp4' }, /event: the message's job is invalid: .*"output"/);
    refused({ source: 'file:///etc/passwd', output: 'oss://media-out/x/' }, /"source" uses file, which "queue.allowedSchemes" \(oss, s3\) does not allow/);
    refused({ source: 'oss://media-in/uploads/../b.mp4', output: 'oss://media-out/x/' }, /"\.\." path component/);
    refused({ bucket_name: 'media-in', object_key: 'uploads/k.mp4', output_dir: 'o/', dst_type: 'avi' }, /dst format "avi"/);
    refused({ source: 'oss://media-in/uploads/b\u001b.mp4', output: 'oss://media-out/x/' }, /control characters/);
    // The allow-lists hold for messages too: no reading other buckets or prefixes, no writing outside "outputs".
    refused({ source: 'oss://finance-private/uploads/q3.mp4', output: 'oss://media-out/x/' }, /"source" oss:\/\/finance-private\/uploads\/q3\.mp4 is in bucket finance-private, which is not in "buckets"/);
    refused({ source: 'oss://media-in/private/q3.mp4', output: 'oss://media-out/x/' }, /does not match "prefix"\/"suffix"/);
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://public-website/leak/' }, /the output oss:\/\/public-website\/leak\/ is not below any of "outputs"/);
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/x/', watermark: { image: 'oss://finance-private/logo.png' } }, /"watermark.image" .* not in "buckets"/);
    // Worker-side settings are the server's: a message cannot pick them.
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/x/', mediaTaskQueue: 'privileged-media' }, /sets "mediaTaskQueue", which messages may not set/);
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/x/', jobId: 'someone-elses-job' }, /sets "jobId"/);
    // Caps, each with its own reason.
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/x/', renditions: Array.from({ length: 11 }, (_, i) => ({ preset: 'mp4-360p', name: `r${i}` })) }, /at most 10/);
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/x/', renditions: Array.from({ length: 5 }, (_, i) => ({ preset: 'mp4-360p', name: `r${i}` })) }, /5 renditions; this trigger starts at most 4 \("limits.maxRenditions"\)/);
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/x/', renditions: [{ preset: 'mp4-360p', video: { codec: 'h264', fps: 240 } }] }, /240 fps; this trigger allows at most 60 \("limits.maxFps"\)/);
    refused({ source: 'oss://media-in/uploads/a.mp4', output: 'oss://media-out/x/', segmentSeconds: 0.5 }, /"segmentSeconds" is 0.5; this trigger needs at least 2 \("limits.minSegmentSeconds"\)/);
    const off = parseTriggerConfig(minimal);
    const skipped = planJobs(off, parseTriggerBody(Buffer.from(JSON.stringify(mnsEvent({ source: 'oss://a/b.mp4', output: 'oss://o/x/' })))));
    assert.deepEqual(skipped.skipped, [{ where: 'event', reason: 'queue messages are disabled ("queue.enabled")' }]);
  });
});

describe('derived workflow ids', () => {
  it('are the same for the same object version and differ for any change', () => {
    const id = objectJobId('oss', 'b', 'in/My Clip.mp4', 'e1');
    assert.match(id, /^oss-My-Clip-[0-9a-f]{20}$/);
    assert.equal(objectJobId('oss', 'b', 'in/My Clip.mp4', 'e1'), id);
    const others = [objectJobId('oss', 'b', 'in/My Clip.mp4', 'e2'), objectJobId('oss', 'b2', 'in/My Clip.mp4', 'e1'), objectJobId('oss', 'b', 'in/My Clip.mov', 'e1'), objectJobId('other', 'b', 'in/My Clip.mp4', 'e1')];
    assert.equal(new Set([id, ...others]).size, 5);
    // Parts are hashed unambiguously: moving a character between fields changes the id.
    assert.notEqual(objectJobId('oss', 'ab', 'c', 'e').slice(-20), objectJobId('oss', 'a', 'bc', 'e').slice(-20));
  });

  it('for files and queue messages', () => {
    assert.match(fileJobId('/in/clip.mp4', 10, 1000), /^watch-clip-[0-9a-f]{20}$/);
    assert.notEqual(fileJobId('/in/clip.mp4', 10, 1000), fileJobId('/in/clip.mp4', 11, 1000));
    assert.notEqual(fileJobId('/in/clip.mp4', 10, 1000), fileJobId('/in/clip.mp4', 10, 1001));
    assert.match(queueJobId('oss', 'M1', {}), /^oss-mns-[0-9a-f]{20}$/);
    assert.equal(queueJobId('oss', 'M1', { a: 1 }), queueJobId('oss', 'M1', { a: 2 }), 'a redelivered message keeps its id');
    assert.notEqual(queueJobId('oss', undefined, { a: 1 }), queueJobId('oss', undefined, { a: 2 }));
  });
});
