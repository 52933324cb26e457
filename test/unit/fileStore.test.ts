// The file:// and local-key store on a real temporary folder: the semantics
// every activity relies on (atomic puts, listing, prefix deletion) and the
// refusals that keep job input from escaping its folders.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Dirent } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { FileStore } from '../../src/storage/fileStore';

/** Every file below `dir`, relative, sorted: what is really on disk, temporary files included. */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

async function failure(work: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await work.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

describe('FileStore', () => {
  const top = mkdtempSync(path.join(os.tmpdir(), 'shardflow-store-'));
  let root: string;
  let files: string;
  let store: FileStore;
  let n = 0;
  beforeEach(() => {
    // A fresh local root and file:// area per test, so listings only see what the test wrote.
    root = path.join(top, `case-${++n}`, 'store');
    files = path.join(top, `case-${n}`, 'files');
    mkdirSync(root, { recursive: true });
    mkdirSync(files, { recursive: true });
    store = new FileStore(root);
  });
  after(() => {
    rmSync(top, { recursive: true, force: true });
  });

  it('puts text and files, and reads them back by URL and by local key', async () => {
    const url = `file://${files}/jobs/a/manifest.json`;
    const info = await store.putText(url, '{"ok":true}\n');
    assert.equal(info.size, 12);
    assert.equal(info.url, url);
    assert.ok(info.etag && /^[0-9a-f]{32}$/.test(info.etag));
    assert.equal(readFileSync(await store.localPath(url), 'utf8'), '{"ok":true}\n');
    assert.equal(await store.exists(url), true);

    const local = path.join(top, `scratch-${n}.bin`);
    writeFileSync(local, Buffer.alloc(1000, 7));
    const keyInfo = await store.putFile('uploads/clip one.bin', local);
    assert.equal(keyInfo.size, 1000);
    assert.equal(existsSync(local), false, 'putFile moves the scratch file into place');
    assert.equal(await store.localPath('uploads/clip one.bin'), path.join(root, 'uploads', 'clip one.bin'));
    assert.deepEqual(readFileSync(path.join(root, 'uploads', 'clip one.bin')), Buffer.alloc(1000, 7));
  });

  it('overwrites an object in place and gives it a new etag', async () => {
    const url = `file://${files}/x.txt`;
    const first = await store.putText(url, 'one');
    const second = await store.putText(url, 'three');
    assert.equal(second.size, 5);
    assert.notEqual(second.etag, first.etag);
    assert.equal(readFileSync(path.join(files, 'x.txt'), 'utf8'), 'three');
  });

  it('copies objects, creating the folders on the way', async () => {
    await store.putText(`file://${files}/src.txt`, 'payload');
    await store.copy(`file://${files}/src.txt`, `file://${files}/deep/er/dst.txt`);
    assert.equal(readFileSync(path.join(files, 'deep/er/dst.txt'), 'utf8'), 'payload');
    assert.equal(readFileSync(path.join(files, 'src.txt'), 'utf8'), 'payload', 'copy leaves the source');
  });

  it('lists a prefix recursively in key order with sizes, and an absent prefix as empty', async () => {
    await store.putText(`file://${files}/out/b.txt`, 'bb');
    await store.putText(`file://${files}/out/a/z.txt`, 'zzz');
    await store.putText(`file://${files}/out/a/y.txt`, 'y');
    await store.putText(`file://${files}/outside.txt`, 'no');
    const started = Date.now() - 5000;
    const listed = await store.list(`file://${files}/out/`);
    for (const o of listed) assert.ok(o.lastModified && o.lastModified.getTime() >= started, `${o.url} has its modification time`);
    assert.deepEqual(listed.map(({ url, size }) => ({ url, size })), [
      { url: `file://${files}/out/a/y.txt`, size: 1 },
      { url: `file://${files}/out/a/z.txt`, size: 3 },
      { url: `file://${files}/out/b.txt`, size: 2 },
    ]);
    assert.deepEqual(await store.list(`file://${files}/nothing-here/`), []);
  });

  it('deletes a prefix with everything below it and reports how many objects went', async () => {
    for (const k of ['w/job-1/a', 'w/job-1/sub/b', 'w/job-1/sub/c', 'w/job-2/keep']) await store.putText(`file://${files}/${k}`, k);
    assert.equal(await store.deletePrefix(`file://${files}/w/job-1/`), 3);
    assert.equal(existsSync(path.join(files, 'w/job-1')), false);
    assert.deepEqual(filesBelow(path.join(files, 'w')), ['job-2/keep'], 'a sibling prefix is untouched');
    assert.equal(await store.deletePrefix(`file://${files}/w/job-1/`), 0, 'deleting twice is fine');
    await store.delete(`file://${files}/w/job-2/keep`);
    await store.delete(`file://${files}/w/job-2/keep`);
    assert.equal(await store.exists(`file://${files}/w/job-2/keep`), false);
  });

  it('puts atomically: a failed put leaves neither a partial object nor a temporary file', async () => {
    // Fault: the target name is taken by a folder, so the final rename fails after the bytes were written.
    mkdirSync(path.join(files, 'taken', 'inner'), { recursive: true });
    await assert.rejects(store.putText(`file://${files}/taken`, 'x'.repeat(100_000)));
    assert.deepEqual(filesBelow(files), [], 'no temporary file left beside the target');

    await store.putText(`file://${files}/src.txt`, 'payload');
    await assert.rejects(store.copy(`file://${files}/src.txt`, `file://${files}/taken`));
    const local = path.join(top, `scratch-${n}.bin`);
    writeFileSync(local, 'bytes');
    await assert.rejects(store.putFile(`file://${files}/taken`, local));
    assert.deepEqual(filesBelow(files), ['src.txt']);
  });

  it('lets concurrent puts of one key finish whole: readers see one complete version, never a mix', async () => {
    // Two attempts of one activity may run in the same worker process and put the same key at once.
    const url = `file://${files}/race/shard.bin`;
    const versions = Array.from({ length: 12 }, (_, i) => String.fromCharCode(65 + i).repeat(200_000));
    const results = await Promise.allSettled(versions.map((v) => store.putText(url, v)));
    assert.deepEqual(results.map((r) => r.status), versions.map(() => 'fulfilled'));
    const final = readFileSync(path.join(files, 'race/shard.bin'), 'utf8');
    assert.ok(versions.includes(final), 'the object is one whole version');
    assert.deepEqual(filesBelow(path.join(files, 'race')), ['shard.bin'], 'no temporary files left');
  });

  it('keeps objects still being written out of listings', async () => {
    await store.putText(`file://${files}/l/done.txt`, 'done');
    // What a put in progress looks like on disk (another process, mid-write).
    writeFileSync(path.join(files, 'l', 'next.txt.partial-4242-0123abcd'), 'half');
    assert.deepEqual((await store.list(`file://${files}/l/`)).map((o) => path.basename(o.url)), ['done.txt']);
  });

  it('sweeps what a writer killed mid-write on this host left behind, and never a live writer\'s file', async () => {
    const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
    // A process that has exited: its pid names no live process (unless reused, which keeps the file: harmless).
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const folder = path.join(files, 'out');
    mkdirSync(folder, { recursive: true });
    const stale = `a.mp4.partial-${host}-${dead}-0123abcd`;
    const live = `b.mp4.partial-${host}-${process.ppid}-4567cdef`;
    const elsewhere = `c.mp4.partial-another-host-${dead}-89abcdef`;
    for (const name of [stale, live, elsewhere]) writeFileSync(path.join(folder, name), '');
    await store.putText(`file://${folder}/manifest.json`, '{}');
    assert.deepEqual(filesBelow(folder), [live, elsewhere, 'manifest.json'].sort());
  });

  it('refuses keys and URLs that would escape, before touching the disk', async () => {
    for (const bad of ['../outside.txt', 'a/../../outside.txt', 'a/..', '..', `file://${files}/../outside.txt`, 'a\0b', `file://${files}/a\0b`]) {
      assert.throws(() => store.pathOf(bad), /"\.\."|NUL/, bad);
      await assert.rejects(store.putText(bad, 'x'), bad);
      await assert.rejects(store.head(bad), bad);
    }
    // A bare absolute path is not a local key: it must be written as file://.
    assert.throws(() => store.pathOf('/etc/passwd'), /file:\/\/\/etc\/passwd/);
    assert.throws(() => store.pathOf('file://relative/x'), /absolute/);
    assert.throws(() => store.pathOf('oss://bucket/key'), /cannot serve oss/);
    assert.deepEqual(filesBelow(path.join(top, `case-${n}`)), []);
    assert.equal(existsSync(path.join(top, 'outside.txt')), false);
  });

  it('reports absent objects as a non-retryable MissingObject naming the URL', async () => {
    const url = `file://${files}/never/written.mp4`;
    const attempts = [() => store.head(url), () => store.localPath(url), () => store.copy(url, `file://${files}/copy.mp4`), () => store.head('missing/key.mp4')];
    for (const attempt of attempts) {
      const f = await failure(attempt());
      assert.equal(f.type, 'MissingObject');
      assert.equal(f.nonRetryable, true);
      assert.match(f.message, /never\/written\.mp4|missing\/key\.mp4/);
    }
    assert.equal(await store.exists(url), false);
    assert.equal(existsSync(path.join(files, 'copy.mp4')), false, 'a failed copy writes nothing');
    // A path through a file (ENOTDIR) is missing too.
    await store.putText(`file://${files}/plain.txt`, 'x');
    assert.equal((await failure(store.head(`file://${files}/plain.txt/child`))).type, 'MissingObject');
  });

  it('reports a folder where an object was expected as InvalidMedia', async () => {
    mkdirSync(path.join(files, 'a-folder.mp4'));
    const f = await failure(store.head(`file://${files}/a-folder.mp4`));
    assert.equal(f.type, 'InvalidMedia');
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /a-folder\.mp4 is a folder/);
  });
});
