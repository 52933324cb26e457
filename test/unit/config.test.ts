import assert from 'node:assert/strict';
import * as os from 'node:os';
import { describe, it } from 'node:test';
import { defaultStreamThreads, loadConfig } from '../../src/config';

describe('defaultStreamThreads', () => {
  it('gives each streaming shard task twice its slot\'s share of the cores, at most all of them', () => {
    assert.equal(defaultStreamThreads(2, 2), 2, 'two slots on two cores: either encode can take both at the end');
    assert.equal(defaultStreamThreads(2, 1), 2, 'one slot: every core');
    assert.equal(defaultStreamThreads(8, 8), 2);
    assert.equal(defaultStreamThreads(8, 2), 8);
    assert.equal(defaultStreamThreads(16, 4), 8);
    assert.equal(defaultStreamThreads(2, 4), 1, 'more slots than cores: one thread each');
    assert.equal(defaultStreamThreads(1, 1), 1);
  });
});

describe('loadConfig', () => {
  it('reads the slots and threads from the environment it is given', () => {
    const config = loadConfig({ SHARDFLOW_DATA_DIR: '/tmp/shardflow-config-test', SHARDFLOW_MEDIA_CONCURRENCY: '3', SHARDFLOW_FFMPEG_THREADS: '5', SHARDFLOW_STREAM_THREADS: '6', SHARDFLOW_VERIFY_THREADS: '7' });
    assert.equal(config.mediaConcurrency, 3);
    assert.equal(config.ffmpegThreads, 5);
    assert.equal(config.streamThreads, 6);
    assert.equal(config.verifyThreads, 7);
  });

  it('gives a file shard encode its slot\'s share of the cores and a streaming shard task twice that, at most all', () => {
    const cores = os.availableParallelism();
    const config = loadConfig({ SHARDFLOW_DATA_DIR: '/tmp/shardflow-config-test', SHARDFLOW_MEDIA_CONCURRENCY: String(cores) });
    assert.equal(config.ffmpegThreads, 1);
    assert.equal(config.streamThreads, Math.min(cores, 2));
  });

  it('refuses a thread count that is not a whole number of at least 1, naming the variable', () => {
    assert.throws(() => loadConfig({ SHARDFLOW_FFMPEG_THREADS: '0' }), /SHARDFLOW_FFMPEG_THREADS must be a whole number of at least 1, got "0"/);
  });
});
