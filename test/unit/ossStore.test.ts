// The oss:// store through the real ali-oss client against the in-process OSS
// server: signatures checked, errors as OSS sends them, faults injected on the
// wire. No Temporal needed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ApplicationFailure } from '@temporalio/common';
import OSS from 'ali-oss';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OssStore, ossSettingsFromEnv, type OssTuning } from '../../src/storage/ossStore';
import { Stores } from '../../src/storage/stores';
import { expectApplicationFailure } from '../support/failures';
import { OssServer } from '../support/ossServer';

const KEY_ID = 'LTAItestkey0001';
const SECRET = 'oss-test-secret-9f2c7d1e';
const STS_KEY_ID = 'STS.testkey0002';
const STS_SECRET = 'sts-test-secret-41aa';
const STS_TOKEN = 'CAIS-test-security-token-77';

/** Small sizes so multipart, paging and ranged reads happen on objects of a few hundred KB. */
const TUNING: OssTuning = {
  multipartThreshold: 200 * 1024,
  partSize: 100 * 1024,
  parallel: 2,
  readChunkBytes: 64 * 1024,
  copyPartThreshold: 10 * 1024 * 1024,
  listPageSize: 2,
  retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
};

describe('OssStore over the OSS REST protocol', () => {
  let server: OssServer;
  let dir: string;
  let n = 0;

  const envFor = (overrides: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
    OSS_ENDPOINT: server.endpoint,
    OSS_REGION: 'cn-hangzhou',
    OSS_PATH_STYLE: '1',
    ...overrides,
  });
  const storeWith = (overrides: Record<string, string> = {}, tuning: Partial<OssTuning> = {}): OssStore =>
    new OssStore({ ...ossSettingsFromEnv(envFor(overrides)), tuning: { ...TUNING, ...tuning } });
  const localFile = (bytes: Buffer): string => {
    const file = path.join(dir, `src-${++n}.bin`);
    writeFileSync(file, bytes);
    return file;
  };
  const scratch = (): string => mkdtempSync(path.join(dir, 'scratch-'));

  before(async () => {
    server = await OssServer.start({
      credentials: [
        { accessKeyId: KEY_ID, accessKeySecret: SECRET },
        { accessKeyId: STS_KEY_ID, accessKeySecret: STS_SECRET, securityToken: STS_TOKEN },
      ],
      buckets: ['media', 'archive'],
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'oss-store-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.clearFaults();
    server.requests.length = 0;
  });

  it('puts, heads and reads back an object in ranged GETs, signed with V4 by default', async () => {
    const store = storeWith();
    const bytes = randomBytes(150 * 1024 + 7);
    const info = await store.putFile('oss://media/in/clip one.mp4', localFile(bytes));
    assert.equal(info.size, bytes.length);

    const head = await store.head('oss://media/in/clip one.mp4');
    assert.equal(head.size, bytes.length);
    assert.match(head.etag ?? '', /^[0-9A-F]{32}$/);
    assert.equal(await store.exists('oss://media/in/clip one.mp4'), true);
    assert.equal(await store.exists('oss://media/in/nothing.mp4'), false);

    server.requests.length = 0;
    const file = await store.localPath('oss://media/in/clip one.mp4', scratch());
    assert.ok(file.endsWith('clip_one.mp4'), file);
    assert.deepEqual(readFileSync(file), bytes);
    const ranges = server.requests.filter((r) => r.op === 'GetObject').map((r) => r.range);
    assert.deepEqual(ranges, ['bytes=0-65535', 'bytes=65536-131071', 'bytes=131072-153606']);
    assert.ok(server.requests.every((r) => r.signature === 4));

    // A reader of ranges asks for exactly the bytes it needs, in one signed ranged GET.
    server.requests.length = 0;
    const ranged = await store.openRanged('oss://media/in/clip one.mp4');
    assert.deepEqual(await ranged.read(70_000, 70_099), bytes.subarray(70_000, 70_100));
    assert.deepEqual(server.requests.filter((r) => r.op === 'GetObject').map((r) => r.range), ['bytes=70000-70099']);
  });

  it('signs with V1 when OSS_SIGNATURE_VERSION=1, and sends the STS token', async () => {
    const v1 = storeWith({ OSS_SIGNATURE_VERSION: '1' });
    await v1.putText('oss://media/v1/hello.json', '{"hello":1}');
    const sts = storeWith({
      ALIBABA_CLOUD_ACCESS_KEY_ID: STS_KEY_ID,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS_SECRET,
      ALIBABA_CLOUD_SECURITY_TOKEN: STS_TOKEN,
    });
    assert.equal((await sts.head('oss://media/v1/hello.json')).size, 11);
    assert.deepEqual(
      server.requests.map((r) => [r.op, r.signature, r.status]),
      [
        ['PutObject', 1, 200],
        ['HeadObject', 4, 200],
      ],
    );
  });

  it('lists below a prefix across pages and deletes only that prefix', async () => {
    const store = storeWith();
    for (const key of ['job/a.mp4', 'job/b/c.mp4', 'job/d.mp4', 'job/e.json', 'job2/x.mp4']) {
      await store.putText(`oss://media/${key}`, key);
    }
    const listed = await store.list('oss://media/job');
    assert.deepEqual(
      listed.map((o) => o.url),
      ['oss://media/job/a.mp4', 'oss://media/job/b/c.mp4', 'oss://media/job/d.mp4', 'oss://media/job/e.json'],
    );
    assert.equal(server.count('ListObjectsV2'), 2, 'two pages of two keys');

    assert.equal(await store.deletePrefix('oss://media/job/'), 4);
    assert.deepEqual(server.keys('media').filter((k) => k.startsWith('job')), ['job2/x.mp4']);
    assert.equal(server.count('DeleteMultipleObjects'), 1);
  });

  it('copies within and across buckets, part by part above the threshold', async () => {
    const store = storeWith({}, { copyPartThreshold: 200 * 1024 });
    const small = randomBytes(1000);
    const large = randomBytes(250 * 1024);
    await store.putFile('oss://media/c/small.bin', localFile(small));
    await store.putFile('oss://media/c/large.bin', localFile(large));
    await store.copy('oss://media/c/small.bin', 'oss://archive/c/small copy.bin');
    await store.copy('oss://media/c/large.bin', 'oss://archive/c/large.bin');
    assert.deepEqual(await server.read('archive', 'c/small copy.bin'), small);
    assert.deepEqual(await server.read('archive', 'c/large.bin'), large);
    assert.equal(server.count('CopyObject'), 1);
    assert.equal(server.count('UploadPartCopy'), 3);
  });

  it('names the source, not the destination, when a copy finds the source gone', async () => {
    const store = storeWith({});
    await store.putFile('oss://media/c/gone.bin', localFile(randomBytes(100)));
    // Deleted between the copy's HEAD and its CopyObject: OSS answers NoSuchKey for the source.
    server.injectFault({ op: 'CopyObject', kind: 'error', status: 404, code: 'NoSuchKey' });
    await assert.rejects(store.copy('oss://media/c/gone.bin', 'oss://archive/c/kept.bin'), (err: ApplicationFailure) => {
      assert.equal(err.type, 'MissingObject');
      assert.match(err.message, /oss:\/\/media\/c\/gone\.bin/);
      assert.doesNotMatch(err.message, /kept\.bin/);
      return true;
    });
  });

  it('reports a wrong secret as AccessDenied at once, naming the object and never the secret', async () => {
    const wrong = 'not-the-secret-5521';
    const store = storeWith({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: wrong });
    const err = await expectApplicationFailure(store.head('oss://media/in/clip one.mp4'));
    assert.equal(err.type, 'AccessDenied');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /oss:\/\/media\/in\/clip one\.mp4/);
    assert.match(err.message, /SignatureDoesNotMatch/);
    assert.ok(!err.message.includes(wrong) && !err.message.includes(SECRET) && !err.message.includes(KEY_ID), err.message);
    assert.equal(server.requests.length, 1, 'a denial is not retried');

    const put = await expectApplicationFailure(store.putFile('oss://media/in/other.bin', localFile(randomBytes(300 * 1024))));
    assert.equal(put.type, 'AccessDenied');
    assert.match(put.message, /oss:\/\/media\/in\/other\.bin/);
    assert.equal(server.count('InitiateMultipartUpload'), 1);
    assert.equal(server.count('UploadPart'), 0);
  });

  it('reports missing objects and buckets as MissingObject, bad bucket names as InvalidJob', async () => {
    const store = storeWith();
    const head = await expectApplicationFailure(store.head('oss://media/nowhere/x.mp4'));
    assert.equal(head.type, 'MissingObject');
    assert.match(head.message, /oss:\/\/media\/nowhere\/x\.mp4 does not exist/);
    const read = await expectApplicationFailure(store.localPath('oss://media/nowhere/x.mp4', scratch()));
    assert.equal(read.type, 'MissingObject');
    // A HEAD has no body to say which is missing; a GET-style request names the bucket.
    const bucket = await expectApplicationFailure(store.list('oss://no-such-bucket/x/'));
    assert.equal(bucket.type, 'MissingObject');
    assert.match(bucket.message, /oss:\/\/no-such-bucket\/x\/: the bucket does not exist/);
    assert.equal(server.requests.length, 3, 'nothing retried');

    const badName = await expectApplicationFailure(store.head('oss://Bad_Bucket/x.mp4'));
    assert.equal(badName.type, 'InvalidJob');
    assert.match(badName.message, /"Bad_Bucket" is not a valid OSS bucket name/);
    assert.equal(server.requests.length, 3, 'refused before any request');
  });

  it('retries a 500 on one part and a throttled HEAD without starting the upload over', async () => {
    const store = storeWith();
    const bytes = randomBytes(550 * 1024);
    server.injectFault({ op: 'UploadPart', partNumber: 3, kind: 'error', status: 500 });
    server.injectFault({ op: 'HeadObject', kind: 'error', status: 503, code: 'ServiceUnavailable' });
    await store.putFile('oss://media/retry/part.bin', localFile(bytes));
    assert.deepEqual(await server.read('media', 'retry/part.bin'), bytes);
    assert.equal(server.count('InitiateMultipartUpload'), 1);
    // 6 parts, part 3 twice; a part in flight beside the failed one may be sent again too.
    const parts = server.count('UploadPart');
    assert.ok(parts >= 7 && parts <= 8, `sent ${parts} parts`);
    assert.equal((await store.head('oss://media/retry/part.bin')).size, bytes.length);
    assert.equal(server.count('HeadObject'), 2);
  });

  it('resumes an interrupted multipart upload from its checkpoint, sending only the missing parts', async () => {
    // One part at a time, so no part is still in flight when the upload gives up and the count below is exact.
    const store = storeWith({}, { parallel: 1 });
    const bytes = randomBytes(1100 * 1024);
    const file = localFile(bytes);
    const totalParts = 11;
    // Part 7's connection drops on every try: the upload gives up with parts 1-6 stored.
    server.injectFault({ op: 'UploadPart', partNumber: 7, kind: 'drop', times: 100 });
    const first = await expectApplicationFailure(store.putFile('oss://media/resume/big.bin', file));
    assert.equal(first.type, 'StorageUnavailable');
    assert.equal(first.nonRetryable, false);
    const checkpoint = JSON.parse(readFileSync(`${file}.oss-upload.json`, 'utf8')) as { doneParts: { number: number }[] };
    const done = checkpoint.doneParts.map((p) => p.number);
    assert.ok(done.length >= 6 && !done.includes(7), `the checkpoint beside the source holds parts ${done.join(',')}`);

    server.clearFaults();
    server.requests.length = 0;
    await store.putFile('oss://media/resume/big.bin', file);
    assert.equal(server.count('UploadPart'), totalParts - done.length, 'only the parts the checkpoint lacks are sent');
    assert.equal(server.count('InitiateMultipartUpload'), 0, 'the same upload id was continued');
    assert.deepEqual(await server.read('media', 'resume/big.bin'), bytes);
    assert.equal(existsSync(`${file}.oss-upload.json`), false, 'the checkpoint is removed once complete');
    assert.equal(server.openUploads(), 0);
  });

  it('retries a download whose connection broke mid-range', async () => {
    const store = storeWith();
    const bytes = randomBytes(100 * 1024);
    await store.putFile('oss://media/drop/get.bin', localFile(bytes));
    server.injectFault({ op: 'GetObject', kind: 'drop' });
    const file = await store.localPath('oss://media/drop/get.bin', scratch());
    assert.deepEqual(readFileSync(file), bytes);
    assert.deepEqual(
      server.requests.filter((r) => r.op === 'GetObject').map((r) => r.range),
      ['bytes=0-65535', 'bytes=0-65535', 'bytes=65536-102399'],
    );
  });

  it('builds the store lazily from the environment, naming a missing variable', async () => {
    const stores = new Stores(dir, { env: { OSS_REGION: 'cn-hangzhou' } });
    assert.equal(stores.for(`file://${dir}/x`), stores.file, 'file:// needs no cloud settings');
    const err = (() => {
      try {
        stores.for('oss://media/x.mp4');
      } catch (e) {
        return e as ApplicationFailure;
      }
      return assert.fail('expected a failure');
    })();
    assert.equal(err.type, 'StorageNotConfigured');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
  });

  it('copies between file:// and oss:// through Stores', async () => {
    const stores = new Stores(dir, { env: envFor(), scratchDir: dir });
    const bytes = randomBytes(5000);
    const source = localFile(bytes);
    await stores.copy(`file://${source}`, 'oss://archive/from-file.bin');
    assert.deepEqual(await server.read('archive', 'from-file.bin'), bytes);
    assert.ok(existsSync(source), 'the file:// source stays where it was');
    const back = path.join(dir, 'back', 'copy.bin');
    await stores.copy('oss://archive/from-file.bin', `file://${back}`);
    assert.deepEqual(readFileSync(back), bytes);
  });
  describe('the test server refuses what OSS refuses', () => {
    const denied = async (store: OssStore, url: string, code: RegExp): Promise<void> => {
      const err = await expectApplicationFailure(store.head(url));
      assert.equal(err.type, 'AccessDenied', err.message);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, code);
    };

    it('refuses unknown key ids, a V1 wrong secret, and STS keys without their token', async () => {
      await storeWith().putText('oss://media/auth/x.json', '{}');
      await denied(storeWith({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIunknownkey99' }), 'oss://media/auth/x.json', /InvalidAccessKeyId/);
      await denied(storeWith({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIunknownkey99', OSS_SIGNATURE_VERSION: '1' }), 'oss://media/auth/x.json', /InvalidAccessKeyId/);
      await denied(storeWith({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret', OSS_SIGNATURE_VERSION: '1' }), 'oss://media/auth/x.json', /SignatureDoesNotMatch/);
      const sts = { ALIBABA_CLOUD_ACCESS_KEY_ID: STS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS_SECRET };
      await denied(storeWith(sts), 'oss://media/auth/x.json', /InvalidSecurityToken/);
      await denied(storeWith({ ...sts, ALIBABA_CLOUD_SECURITY_TOKEN: 'CAIS-someone-elses-token' }), 'oss://media/auth/x.json', /InvalidSecurityToken/);
      assert.ok(server.requests.slice(1).every((r) => r.status === 403), 'every refused request was answered 403');
    });

    it('refuses anonymous requests and requests signed at a skewed time', async () => {
      await storeWith().putText('oss://media/auth/y.json', '{}');
      const anonymous = await fetch(`${server.endpoint}/media/auth/y.json`);
      assert.equal(anonymous.status, 403);
      assert.match(await anonymous.text(), /<Code>AccessDenied<\/Code>/);
      for (const authorizationV4 of [true, false]) {
        const client = new OSS({ accessKeyId: KEY_ID, accessKeySecret: SECRET, bucket: 'media', region: 'oss-cn-hangzhou', endpoint: server.endpoint, secure: false, sldEnable: true, authorizationV4 } as OSS.Options);
        // ali-oss adds this offset to the time it signs with (meant to correct a skewed local clock).
        (client as unknown as { options: { amendTimeSkewed: number } }).options.amendTimeSkewed = -30 * 60 * 1000;
        await assert.rejects(client.head('auth/y.json'), (err: { status?: number; code?: string }) => err.status === 403);
        assert.equal(server.requests.at(-1)?.status, 403);
      }
    });

    it('refuses a signed request whose object key was changed on the way (V4 and V1)', async () => {
      await storeWith().putText('oss://media/auth/public.json', '{"public":true}');
      await storeWith().putText('oss://media/auth/secret.json', '{"secret":true}');
      const upstream = new URL(server.endpoint);
      const relay = http.createServer((req, res) => {
        const path = (req.url ?? '/').replace('/auth/public.json', '/auth/secret.json');
        const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        req.pipe(forward);
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      try {
        const endpoint = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
        await denied(storeWith({ OSS_ENDPOINT: endpoint }), 'oss://media/auth/public.json', /SignatureDoesNotMatch/);
        await denied(storeWith({ OSS_ENDPOINT: endpoint, OSS_SIGNATURE_VERSION: '1' }), 'oss://media/auth/public.json', /SignatureDoesNotMatch/);
        assert.deepEqual(server.requests.slice(-2).map((r) => [r.key, r.status]), [['auth/secret.json', 403], ['auth/secret.json', 403]]);
      } finally {
        relay.closeAllConnections();
        await new Promise<void>((resolve) => relay.close(() => resolve()));
      }
    });
  });
});
