// A remote source served to ffmpeg over loopback by range: ffmpeg seeking into
// it fetches about its share of the object, not the whole of it. Real ffmpeg,
// a real HTTP server, an in-memory object standing in for the store's ranged GET.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { sourceInput } from '../../src/media/sourceInput';
import type { RangedObject } from '../../src/storage/objectStore';
import { parseRange, serveRanges, type RangeServer } from '../../src/storage/rangeServer';
import { makeClip } from '../support/clips';

function inMemory(bytes: Buffer): RangedObject & { requests: number } {
  const object = {
    info: { url: 's3://bucket/clip.mp4', size: bytes.length, etag: 'e' },
    requests: 0,
    read: async (start: number, end: number) => {
      object.requests++;
      return bytes.subarray(start, end + 1);
    },
  };
  return object;
}

// Asynchronous: the server answers from this same process.
const run = promisify(execFile);

async function frames(args: string[]): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', ...args]);
  return Number(stdout.trim());
}

describe('parseRange', () => {
  it('reads the three forms and refuses what lies outside the object', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=900-', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=990-2000', 1000), { start: 990, end: 999 });
    assert.equal(parseRange('bytes=1000-', 1000), undefined);
    assert.equal(parseRange('bytes=5-1', 1000), undefined);
    assert.equal(parseRange('items=0-1', 1000), undefined);
  });
});

describe('serveRanges', () => {
  const servers: RangeServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('serves the whole object to ffprobe through the source whitelist', async () => {
    const file = makeClip({ seconds: 4, width: 320, height: 240, gop: 25 });
    const server = await serveRanges(inMemory(readFileSync(file)), 'clip.mp4', 64 * 1024);
    servers.push(server);
    assert.equal(await frames(sourceInput(server.url)), await frames(sourceInput(file)));
  });

  it('lets an encoder that seeks to the last quarter fetch little more than that quarter', async () => {
    const file = makeClip({ seconds: 40, width: 640, height: 360, gop: 25, audio: false });
    const bytes = readFileSync(file);
    const server = await serveRanges(inMemory(bytes), 'clip.mp4', 64 * 1024);
    servers.push(server);
    await run('ffmpeg', ['-v', 'error', '-ss', '30', ...sourceInput(server.url), '-frames:v', '250', '-f', 'null', '-']);
    const share = bytes.length / 4;
    assert.ok(server.bytesFetched() < share * 1.2, `fetched ${server.bytesFetched()} bytes for a share of ${share}`);
    assert.ok(server.bytesFetched() > share * 0.8, `fetched ${server.bytesFetched()} bytes: the shard's frames must have come from the server`);
  });

  it('answers only its own path, so other local processes cannot read through it', async () => {
    const server = await serveRanges(inMemory(Buffer.from('secret bytes')), 'x.mp4');
    servers.push(server);
    const other = server.url.replace(/\/[0-9a-f]{32}\//, `/${'0'.repeat(32)}/`);
    assert.equal((await fetch(other)).status, 404);
    const part = await fetch(server.url, { headers: { Range: 'bytes=7-11' } });
    assert.equal(part.status, 206);
    assert.equal(await part.text(), 'bytes');
  });

  it('opens only the range server over HTTP: any other http URL stays on the file protocol', () => {
    const protocols = (args: string[]): string => args[args.indexOf('-protocol_whitelist') + 1];
    assert.equal(protocols(sourceInput('http://127.0.0.1:8080/' + 'a'.repeat(32) + '/clip.mp4')), 'http,tcp');
    for (const url of ['http://example.com/' + 'a'.repeat(32) + '/clip.mp4', 'http://127.0.0.1:8080/clip.mp4', '/tmp/clip.mp4']) {
      assert.equal(protocols(sourceInput(url)), 'file', url);
    }
  });
});
