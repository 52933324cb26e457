// The s3:// store through the real AWS SDK against s3rver (S3's XML) behind a
// proxy that verifies SigV4 signatures. No Temporal needed.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { S3Store, s3SettingsFromEnv, type S3Tuning } from '../../src/storage/s3Store';
import { expectApplicationFailure } from '../support/failures';
import { S3_REGION, S3RVER_KEY, startS3Server, type S3TestServer } from '../support/s3Server';
import { Sha256 } from '../support/sigv4Proxy';

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
    // A reader of ranges fetches just the bytes it asks for.
    const ranged = await store.openRanged('s3://media-in/in/big clip.mp4');
    assert.equal(ranged.info.size, bytes.length);
    assert.deepEqual(await ranged.read(5 * 1024 * 1024, 5 * 1024 * 1024 + 99), bytes.subarray(5 * 1024 * 1024, 5 * 1024 * 1024 + 100));
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

  it('reports denied credentials as AccessDenied naming the object, without the credentials', async () => {
    const wrong = { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'wrong-secret-8812' };
    const err = await expectApplicationFailure(storeWith(wrong).putText('s3://media-in/denied.json', '{}'));
    assert.equal(err.type, 'AccessDenied');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /s3:\/\/media-in\/denied\.json/);
    assert.match(err.message, /InvalidAccessKeyId/);
    assert.ok(!err.message.includes(wrong.secretAccessKey) && !err.message.includes(wrong.accessKeyId), err.message);
  });

  it('refuses the right key id with a wrong secret: AccessDenied at once, not retried, nothing written', async () => {
    const wrong = { accessKeyId: S3RVER_KEY.accessKeyId, secretAccessKey: 'not-the-secret-5521' };
    const seen = (p: string): string[] => server.decisions.filter((d) => d.path === p).map((d) => d.outcome);
    const err = await expectApplicationFailure(storeWith(wrong).putText('s3://media-in/wrong-secret.json', '{}'));
    assert.equal(err.type, 'AccessDenied');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /s3:\/\/media-in\/wrong-secret\.json/);
    assert.match(err.message, /SignatureDoesNotMatch/);
    assert.ok(!err.message.includes(wrong.secretAccessKey), err.message);
    assert.deepEqual(seen('/media-in/wrong-secret.json'), ['SignatureDoesNotMatch'], 'one attempt, refused');
    assert.equal(await store.exists('s3://media-in/wrong-secret.json'), false);

    await store.putText('s3://media-in/readable.json', '{"a":1}');
    const read = await expectApplicationFailure(storeWith(wrong).localPath('s3://media-in/readable.json', scratch()));
    assert.equal(read.type, 'AccessDenied');
    assert.deepEqual(seen('/media-in/readable.json').slice(-1), ['SignatureDoesNotMatch']);
  });

  describe('the verifying proxy itself', () => {
    const signer = (secretAccessKey = S3RVER_KEY.secretAccessKey): SignatureV4 =>
      new SignatureV4({ credentials: { ...S3RVER_KEY, secretAccessKey }, region: S3_REGION, service: 's3', sha256: Sha256, uriEscapePath: false });
    const requestFor = (method: string, key: string, headers: Record<string, string> = {}): HttpRequest => {
      const { host } = new URL(server.endpoint);
      return { method, protocol: 'http:', hostname: host, path: `/media-in/${key}`, query: {}, headers: { host, ...headers } };
    };
    const urlOf = (r: HttpRequest): string => {
      const query = Object.entries(r.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
      return `${server.endpoint}${r.path}${query.length ? `?${query.join('&')}` : ''}`;
    };
    // As @aws-sdk/s3-request-presigner does: the payload is unsigned, and the header travels in the query.
    const presign = (secret: string | undefined, key: string, options: { expiresIn: number; signingDate?: Date }): Promise<HttpRequest> =>
      signer(secret).presign(requestFor('GET', key, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), options);
    const errorCode = async (res: Response): Promise<string> => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1] ?? `HTTP ${res.status}`;

    before(() => store.putText('s3://media-in/presigned.txt', 'presigned body'));

    it('accepts a presigned GET and refuses it tampered, for another key, with a wrong secret or expired', async () => {
      const good = await presign(undefined, 'presigned.txt', { expiresIn: 300 });
      const ok = await fetch(urlOf(good));
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'presigned body');

      const signature = String(good.query!['X-Amz-Signature']);
      const tampered = { ...good, query: { ...good.query, 'X-Amz-Signature': `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}` } };
      assert.equal(await errorCode(await fetch(urlOf(tampered))), 'SignatureDoesNotMatch');
      assert.equal(await errorCode(await fetch(urlOf({ ...good, path: '/media-in/readable.json' }))), 'SignatureDoesNotMatch');
      const wrongSecret = await presign('not-the-secret', 'presigned.txt', { expiresIn: 300 });
      assert.equal(await errorCode(await fetch(urlOf(wrongSecret))), 'SignatureDoesNotMatch');
      const expired = await presign(undefined, 'presigned.txt', { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) });
      const res = await fetch(urlOf(expired));
      assert.equal(res.status, 403);
      assert.match(await res.text(), /Request has expired/);
    });

    it('refuses unsigned requests, stale dates and bodies that differ from their signed hash', async () => {
      assert.equal(await errorCode(await fetch(`${server.endpoint}/media-in/presigned.txt`)), 'AccessDenied');

      const body = 'signed body';
      const put = async (signingDate: Date, sent: string): Promise<Response> => {
        const hash = createHash('sha256').update(body).digest('hex');
        const signed = await signer().sign(requestFor('PUT', 'tampered.txt', { 'x-amz-content-sha256': hash, 'content-length': String(sent.length) }), { signingDate });
        return fetch(urlOf(signed), { method: 'PUT', headers: signed.headers, body: sent });
      };
      assert.equal(await errorCode(await put(new Date(), 'other body!')), 'XAmzContentSHA256Mismatch');
      assert.equal(await errorCode(await put(new Date(Date.now() - 3600_000), body)), 'RequestTimeTooSkewed');
      assert.equal(await store.exists('s3://media-in/tampered.txt'), false);
      assert.equal((await put(new Date(), body)).status, 200, 'the same request, untampered, is accepted');
      assert.equal(await store.exists('s3://media-in/tampered.txt'), true);
    });
  });

  it('reports missing objects as MissingObject', async () => {
    const head = await expectApplicationFailure(store.head('s3://media-in/nowhere.mp4'));
    assert.equal(head.type, 'MissingObject');
    assert.match(head.message, /s3:\/\/media-in\/nowhere\.mp4 does not exist/);
    const read = await expectApplicationFailure(store.localPath('s3://media-in/nowhere.mp4', scratch()));
    assert.equal(read.type, 'MissingObject');
  });
});
