// Object URLs are the only way a job names storage, so parsing them is where
// path escapes are stopped and joins/containment checks must be exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileUrl, formatObjectUrl, isBelow, isWithin, joinObjectUrl, ObjectUrlError, parseObjectUrl, redactUrl } from '../../src/core/objectUrl';

function refuses(url: unknown, pattern: RegExp): void {
  assert.throws(() => parseObjectUrl(url as string), (err: unknown) => {
    assert.ok(err instanceof ObjectUrlError, `expected ObjectUrlError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('parseObjectUrl', () => {
  it('parses each scheme into scheme, bucket and key', () => {
    assert.deepEqual(parseObjectUrl('file:///data/in/clip.mp4'), { scheme: 'file', bucket: '', key: '/data/in/clip.mp4' });
    assert.deepEqual(parseObjectUrl('oss://media-bkt/in/clip.mp4'), { scheme: 'oss', bucket: 'media-bkt', key: 'in/clip.mp4' });
    assert.deepEqual(parseObjectUrl('s3://bkt/a/b/'), { scheme: 's3', bucket: 'bkt', key: 'a/b/' });
    assert.deepEqual(parseObjectUrl('s3://bkt'), { scheme: 's3', bucket: 'bkt', key: '' });
    assert.deepEqual(parseObjectUrl('uploads/clip.mp4'), { scheme: 'local', bucket: '', key: 'uploads/clip.mp4' });
  });

  it('decodes percent escapes in file:// paths only', () => {
    assert.equal(parseObjectUrl('file:///data/my%20clip%5B1%5D.mp4').key, '/data/my clip[1].mp4');
    // In object stores "%20" is part of the key itself.
    assert.equal(parseObjectUrl('oss://b/my%20clip.mp4').key, 'my%20clip.mp4');
    refuses('file:///data/%zz.mp4', /malformed percent escape/);
  });

  it('keeps odd but legal names intact', () => {
    for (const name of ["it's a clip.mp4", 'a:b;c.mp4', 'déjà vu.mov', '$(reboot).mp4', '...mp4', '..hidden', 'x..']) {
      assert.equal(parseObjectUrl(`file:///data/${name}`).key, `/data/${name}`);
      assert.equal(parseObjectUrl(`oss://b/${name}`).key, name);
    }
  });

  it('refuses ".." components in every scheme, also percent-encoded in file:// paths', () => {
    for (const url of ['file:///data/../etc/passwd', 'file:///data/%2e%2e/etc/passwd', 'file:///..', 'oss://b/a/../../c', 's3://b/..', '../x', 'a/../../x', '..']) {
      refuses(url, /"\.\."/);
    }
  });

  it('decodes file:// paths once, and never into a new shape: no encoded ".", ".." or "/"', () => {
    for (const url of ['file:///work/%2e/', 'file:///work/%2E', 'file:///work/%2e%2E/x', 'file:///work/a/%2E%2e', 'file:///work/.%2e/']) refuses(url, /percent-encoded "\.\.?" path component/);
    for (const url of ['file:///work/%2f', 'file:///work/a%2Fb', 'file:///work/%2e%2e%2fetc', 'file://%2Fetc/passwd']) refuses(url, /encoded "\/"/);
    // Double encoding decodes once: a folder literally named "%2e", below the work root.
    assert.equal(parseObjectUrl('file:///work/%252e/').key, '/work/%2e/');
    assert.equal(parseObjectUrl('file:///work/%252E%252e/').key, '/work/%2E%2e/');
    // Plain "." components are what they say and are seen through by isWithin/isBelow.
    assert.equal(parseObjectUrl('file:///work/./a').key, '/work/./a');
  });

  it('refuses NUL bytes, also percent-encoded in file:// paths', () => {
    for (const url of ['file:///data/a\0.mp4', 'file:///data/a%00.mp4', 'oss://b/a\0b', 's3://b/\0', 'key\0']) refuses(url, /NUL/);
  });

  it('refuses relative file:// URLs, bare absolute paths and unknown schemes', () => {
    refuses('file://data/in.mp4', /file:\/\/\/absolute/);
    refuses('file://./in.mp4', /file:\/\/\/absolute/);
    refuses('/etc/passwd', /write it as file:\/\/\/etc\/passwd/);
    refuses('http://example.com/a.mp4', /unsupported scheme/);
    refuses('gs://bkt/a.mp4', /unsupported scheme/);
    refuses('', /non-empty/);
    refuses(undefined, /non-empty/);
    refuses(42, /non-empty/);
  });

  it('round-trips through formatObjectUrl', () => {
    for (const url of ['file:///data/in.mp4', 'file:///data/50%25 off.mp4', 'oss://b/k/x.mp4', 'oss://b/50%.mp4', 's3://b/', 'local/key.mp4']) {
      assert.equal(formatObjectUrl(parseObjectUrl(url)), url);
    }
    assert.equal(parseObjectUrl(fileUrl('/data/100%/%2e.mp4')).key, '/data/100%/%2e.mp4');
  });
});

describe('joinObjectUrl', () => {
  it('puts exactly one slash between prefix and name', () => {
    assert.equal(joinObjectUrl('oss://b/out', 'x.mp4'), 'oss://b/out/x.mp4');
    assert.equal(joinObjectUrl('oss://b/out/', 'x.mp4'), 'oss://b/out/x.mp4');
    assert.equal(joinObjectUrl('oss://b/out/', '//x.mp4'), 'oss://b/out/x.mp4');
    assert.equal(joinObjectUrl('file:///work/job-1/', 'video/mp4-360p/000001.mp4'), 'file:///work/job-1/video/mp4-360p/000001.mp4');
    assert.equal(joinObjectUrl('s3://b/', 'manifest.json'), 's3://b/manifest.json');
  });

  it('escapes each component as the scheme reads it back, so a name stays one literal component', () => {
    for (const id of ['%2e', '%2E%2e', '%2f', '%252e', '50%']) {
      const area = joinObjectUrl('file:///work/', `${id}/`);
      assert.equal(parseObjectUrl(area).key, `/work/${id}/`);
      assert.ok(isBelow(area, 'file:///work/'), area);
      // Object store keys are literal: nothing to escape.
      assert.equal(joinObjectUrl('oss://b/work/', `${id}/`), `oss://b/work/${id}/`);
    }
    assert.equal(joinObjectUrl('file:///work/job-1/', 'video/360p/000001.mp4'), 'file:///work/job-1/video/360p/000001.mp4');
  });

  it('refuses ".", ".." and NUL components in every scheme', () => {
    for (const prefix of ['file:///work/', 'oss://b/work/', 's3://b/', 'work/']) {
      for (const name of ['.', './', '..', '../x', 'a/../../b', 'a/./b', 'a\0b']) {
        assert.throws(() => joinObjectUrl(prefix, name), ObjectUrlError, `${prefix} + ${JSON.stringify(name)}`);
      }
    }
  });
});

describe('isBelow', () => {
  it('is true only strictly below the prefix, however the prefix itself is spelled', () => {
    assert.ok(isBelow('file:///work/job/', 'file:///work/'));
    assert.ok(isBelow('oss://b/work/job/x', 'oss://b/work'));
    for (const same of ['file:///work', 'file:///work/', 'file:///work//', 'file:///work/./', 'file:///work/.', 'file:////work/']) {
      assert.equal(isBelow(same, 'file:///work/'), false, same);
      assert.ok(isWithin(same, 'file:///work/'), same);
    }
    assert.equal(isBelow('file:///work2/x', 'file:///work'), false);
    assert.equal(isBelow('oss://b/work/', 'oss://b/work'), false);
  });
});

describe('redactUrl', () => {
  it('drops query strings, fragments and credentials, keeping the object', () => {
    assert.equal(redactUrl('s3://b/in/clip.mp4'), 's3://b/in/clip.mp4');
    assert.equal(redactUrl('https://b.s3.amazonaws.com/clip.mp4?X-Amz-Credential=AKIA%2F&X-Amz-Signature=abc'), 'https://b.s3.amazonaws.com/clip.mp4');
    assert.equal(redactUrl('https://user:secret@host/clip.mp4#t=3'), 'https://host/clip.mp4');
    assert.equal(redactUrl('oss://b/clip.mp4?OSSAccessKeyId=x&Signature=y'), 'oss://b/clip.mp4');
    assert.equal(redactUrl('file:///data/clip.mp4'), 'file:///data/clip.mp4');
  });
});

describe('isWithin', () => {
  it('is true for the prefix itself and anything below it', () => {
    assert.ok(isWithin('file:///data/work', 'file:///data/work/'));
    assert.ok(isWithin('file:///data/work/', 'file:///data/work'));
    assert.ok(isWithin('file:///data/work/job/x.mp4', 'file:///data/work/'));
    assert.ok(isWithin('oss://b/out/a/b.mp4', 'oss://b/out'));
    assert.ok(isWithin('oss://b/anything', 'oss://b/'), 'a bucket root holds the whole bucket');
  });

  it('is false for siblings that merely share a name prefix', () => {
    assert.equal(isWithin('file:///data/work2/x', 'file:///data/work/'), false);
    assert.equal(isWithin('file:///data/workspace', 'file:///data/work'), false);
    assert.equal(isWithin('oss://b/outputs/x', 'oss://b/out'), false);
  });

  it('is false across schemes and buckets', () => {
    assert.equal(isWithin('oss://a/out/x', 'oss://b/out/'), false);
    assert.equal(isWithin('s3://b/out/x', 'oss://b/out/'), false);
    assert.equal(isWithin('file:///out/x', 'oss://b/out/'), false);
  });

  it('sees through "." and doubled slashes in file system paths, which name the same folder', () => {
    // Otherwise "file:///data/./work/..." passes a check against the work area and is then written into it.
    assert.ok(isWithin('file:///data/./work/job/out/', 'file:///data/work/'));
    assert.ok(isWithin('file:///data//work/job/', 'file:///data/work/'));
    assert.ok(isWithin('file:///data/work/', 'file:///data/./work'));
    assert.ok(isWithin('uploads/./a.mp4', 'uploads/'));
    // Object store keys are literal: "a//b" and "a/b" are different objects.
    assert.equal(isWithin('oss://b/out//x', 'oss://b/out/x'), false);
  });

  it('refuses to compare URLs it would refuse to parse', () => {
    assert.throws(() => isWithin('file:///data/work/../x', 'file:///data/work/'), ObjectUrlError);
  });
});
