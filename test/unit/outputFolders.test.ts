// Outputs the file store cannot write fail at once, for good, saying why:
// under /proc (where Node's recursive mkdir spins forever), below a file, or
// in a folder the job may not write; and a job with such an output fails in
// prepareWorkArea, before any transcoding.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { prepareWorkArea } from '../../src/activities/prepareWorkArea';
import type { ActivityDeps } from '../../src/activities/deps';
import { ErrorType } from '../../src/core/errors';
import { FileStore } from '../../src/storage/fileStore';
import { makeFolders } from '../../src/storage/makeFolders';
import { Stores } from '../../src/storage/stores';

function refusedFor(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, ErrorType.AccessDenied);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, pattern);
    return true;
  };
}

/** Fails the test instead of hanging when `work` never settles. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('output folders the file store cannot write', () => {
  let dir: string;
  let aFile: string;
  const store = new FileStore('/');

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-outdirs-'));
    aFile = path.join(dir, 'a-file');
    writeFileSync(aFile, 'x');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder under /proc at once instead of spinning', async () => {
    await assert.rejects(within(5000, makeFolders('/proc/shardflow-out/renditions')), refusedFor(/cannot write \/proc\/shardflow-out: the file system does not allow new folders there/));
    await assert.rejects(within(5000, store.putText('file:///proc/shardflow-out/manifest.json', '{}')), refusedFor(/\/proc\/shardflow-out/));
  });

  it('refuses a folder below a file, naming the file', async () => {
    await assert.rejects(store.putText(`file://${aFile}/out/manifest.json`, '{}'), refusedFor(new RegExp(`cannot write ${aFile}: it is a file, not a folder`)));
  });

  it('creates missing folders, and the check creates none', async () => {
    const target = path.join(dir, 'new', 'deeper');
    await store.checkWritableFolder(`file://${target}/`);
    assert.deepEqual(readdirSync(dir).sort(), ['a-file']);
    await store.putText(`file://${target}/manifest.json`, '{}');
    assert.deepEqual(readdirSync(target), ['manifest.json']);
  });

  it('fails a job in prepareWorkArea when its output cannot be written', async () => {
    const deps = { config: { workRoot: `file://${dir}/work/` }, stores: new Stores(dir) } as unknown as ActivityDeps;
    const prepare = prepareWorkArea(deps);
    await assert.rejects(prepare({ jobId: 'j1', source: `file://${dir}/in.mp4`, output: `file://${aFile}/out/` }), refusedFor(/it is a file, not a folder/));
    assert.equal(await prepare({ jobId: 'j2', source: `file://${dir}/in.mp4`, output: `file://${dir}/out/` }), `file://${dir}/work/j2/`);
    assert.ok(!existsSync(path.join(dir, 'out')), 'preparing created nothing in the output');
  });
});
