// The s3:// store through the real AWS SDK against s3rver, which checks SigV4
// signatures and speaks S3's XML. No Temporal needed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3Store, s3SettingsFromEnv, type S3Tuning } from '../../src/storage/s3Store';
import { expectApplicationFailure } from '../support/failures';
import { S3RVER_KEY, startS3Server, type S3TestServer } from '../support/s3Server';

/**
 * lib-storage's smallest part is 5 MB; reads are small so they take several ranges. Listing pages stay at 1000:
 * s3rver 3.7 makes continuation tokens with DES, which OpenSSL 3 no longer offers (paging is covered on OSS).
 */
const TUNING: S3Tuning = {
  partSize: 5 * 1024 * 1024,
  queueSize: 2,
  readChunkBytes: 2 * 1024 * 1024,
  copyLimit: 5 * 1024 * 1024 * 1024,
  listPageSize: 1000,
  maxAttempts: 2,
  retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
};

describe('S3Store over s3rver', () => {
  let server: S3TestServer;
  let dir: string;
  let store: S3Store;
  let n = 0;
  const localFile = (bytes: Buffer): string => {
    const file = path.join(dir, `src-${++n}.bin`);
    writeFileSync(file, bytes);
    return file;
  };
  const scratch = (): string => mkdtempSync(path.join(dir, 'scratch-'));
  const storeWith = (credentials = S3RVER_KEY): S3Store =>
    new S3Store({ ...s3SettingsFromEnv({ AWS_ENDPOINT_URL_S3: server.endpoint }), credentials, tuning: TUNING });

  before(async () => {
    server = await startS3Server(['media-in', 'media-out']);
    dir = mkdtempSync(path.join(os.tmpdir(), 's3-store-'));
    store = storeWith();
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads path-style endpoint settings from the environment', () => {
    const local = s3SettingsFromEnv({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' });
    assert.equal(local.forcePathStyle, true);
    assert.equal(local.region, 'us-east-1');
    const aws = s3SettingsFromEnv({ AWS_REGION: 'eu-west-1' });
    assert.equal(aws.forcePathStyle, false);
    assert.equal(s3SettingsFromEnv({ AWS_ENDPOINT_URL_S3: 'https://s3.oss-cn-hangzhou.aliyuncs.com', S3_FORCE_PATH_STYLE: '0' }).forcePathStyle, false);
  });

  it('uploads in parts, heads, and reads back in ranges', async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 11);
    const info = await store.putFile('s3://media-in/in/big clip.mp4', localFile(bytes));
    assert.equal(info.size, bytes.length);
    const head = await store.head('s3://media-in/in/big clip.mp4');
    assert.equal(head.size, bytes.length);
    const file = await store.localPath('s3://media-in/in/big clip.mp4', scratch());
    assert.deepEqual(readFileSync(file), bytes);
    assert.equal(await store.exists('s3://media-in/in/big clip.mp4'), true);
    assert.equal(await store.exists('s3://media-in/in/none.mp4'), false);
  });

  it('writes text, lists below a prefix, copies, and deletes only that prefix', async () => {
    for (const key of ['job/a.mp4', 'job/b/c.mp4', 'job/d.json', 'job2/x.mp4']) await store.putText(`s3://media-in/${key}`, key);
    const listed = await store.list('s3://media-in/job');
    assert.deepEqual(
      listed.map((o) => o.url),
      ['s3://media-in/job/a.mp4', 's3://media-in/job/b/c.mp4', 's3://media-in/job/d.json'],
    );
    await store.copy('s3://media-in/job/b/c.mp4', 's3://media-out/copied/c d.mp4');
    const copied = await store.localPath('s3://media-out/copied/c d.mp4', scratch());
    assert.equal(readFileSync(copied, 'utf8'), 'job/b/c.mp4');

    assert.equal(await store.deletePrefix('s3://media-in/job/'), 3);
    assert.deepEqual(
      (await store.list('s3://media-in/')).map((o) => o.url).filter((u) => u.includes('job')),
      ['s3://media-in/job2/x.mp4'],
    );
  });

  // s3rver checks the key id but not SigV4 signatures, so the denial here comes from an unknown key id.
  it('reports denied credentials as AccessDenied naming the object, without the credentials', async () => {
    const wrong = { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'wrong-secret-8812' };
    const err = await expectApplicationFailure(storeWith(wrong).putText('s3://media-in/denied.json', '{}'));
    assert.equal(err.type, 'AccessDenied');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /s3:\/\/media-in\/denied\.json/);
    assert.match(err.message, /InvalidAccessKeyId/);
    assert.ok(!err.message.includes(wrong.secretAccessKey) && !err.message.includes(wrong.accessKeyId), err.message);
  });

  it('reports missing objects as MissingObject', async () => {
    const head = await expectApplicationFailure(store.head('s3://media-in/nowhere.mp4'));
    assert.equal(head.type, 'MissingObject');
    assert.match(head.message, /s3:\/\/media-in\/nowhere\.mp4 does not exist/);
    const read = await expectApplicationFailure(store.localPath('s3://media-in/nowhere.mp4', scratch()));
    assert.equal(read.type, 'MissingObject');
  });
});
