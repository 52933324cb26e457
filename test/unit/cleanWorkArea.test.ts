// cleanWorkArea deletes a job's work area and nothing else: every spelling of
// the work root itself, its parent, a sibling, or a symlink that leads out of
// it is refused before anything is removed. Real folders on disk.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanWorkArea } from '../../src/activities/cleanWorkArea';
import { loadConfig } from '../../src/config';
import { fileUrl } from '../../src/core/objectUrl';
import { Stores } from '../../src/storage/stores';
import { expectApplicationFailure } from '../support/failures';

describe('cleanWorkArea', () => {
  let dir: string;
  let work: string;
  let outside: string;
  let clean: ReturnType<typeof cleanWorkArea>;
  const put = (file: string): string => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'x');
    return file;
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clean-work-'));
    const config = loadConfig({ SHARDFLOW_DATA_DIR: dir });
    work = path.join(dir, 'work');
    assert.equal(config.workRoot, `${fileUrl(work)}/`);
    outside = path.join(dir, 'elsewhere');
    put(path.join(outside, 'keep.txt'));
    mkdirSync(work, { recursive: true });
    symlinkSync(outside, path.join(work, 'link-out'));
    mkdirSync(path.join(work, 'job-x'), { recursive: true });
    symlinkSync(outside, path.join(work, 'job-x', 'nested-link'));
    clean = cleanWorkArea({ config, stores: new Stores(path.join(dir, 'store')) });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('deletes a job\'s own area', async () => {
    put(path.join(work, 'job-a', 'shards', '000000.mkv'));
    assert.equal(await clean({ workUrl: `${fileUrl(work)}/job-a/` }), 1);
    assert.equal(existsSync(path.join(work, 'job-a')), false);
  });

  it('refuses the work root, its parent and siblings, however they are spelled, deleting nothing', async () => {
    const shard = put(path.join(work, 'other-job', 'shards', '000000.mkv'));
    const root = fileUrl(work);
    const attempts = [
      `${root}/%2e/`, `${root}/%2E%2e/`, `${root}/%2e%2e/`, `${root}/job%2f..%2f/`, `${root}/%2F`,
      root, `${root}/`, `${root}//`, `${root}/./`, `${root}/.`, `${root}/other-job/../`,
      fileUrl(dir), `${fileUrl(dir)}/work2/`, `${root}2/other-job/`, 'oss://bucket/work/job/',
    ];
    for (const workUrl of attempts) {
      const err = await expectApplicationFailure(clean({ workUrl }));
      assert.equal(err.type, 'InvalidJob', workUrl);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /refusing to delete/);
      assert.ok(existsSync(shard), `${workUrl} removed another job's shard`);
    }
  });

  it('refuses symlinks that lead out of the work root', async () => {
    for (const workUrl of [`${fileUrl(work)}/link-out/`, `${fileUrl(work)}/job-x/nested-link/`]) {
      const err = await expectApplicationFailure(clean({ workUrl }));
      assert.equal(err.type, 'InvalidJob');
      assert.match(err.message, /not below the work root/);
    }
    assert.ok(existsSync(path.join(outside, 'keep.txt')));
  });

  it('decodes once: a double-encoded id is a folder of that literal name', async () => {
    const literal = put(path.join(work, '%2e', 'x.mkv'));
    const neighbour = put(path.join(work, 'neighbour', 'x.mkv'));
    assert.equal(await clean({ workUrl: `${fileUrl(work)}/%252e/` }), 1);
    assert.equal(existsSync(literal), false);
    assert.ok(existsSync(neighbour));
  });
});
