import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultFfmpegThreads, loadConfig } from '../../src/config';

describe('defaultFfmpegThreads', () => {
  it('gives each encode twice its share of the cores, at most all of them', () => {
    assert.equal(defaultFfmpegThreads(2, 2), 2, 'two slots on two cores: either encode can take both at the end');
    assert.equal(defaultFfmpegThreads(2, 1), 2, 'one slot: every core');
    assert.equal(defaultFfmpegThreads(8, 8), 2);
    assert.equal(defaultFfmpegThreads(8, 2), 8);
    assert.equal(defaultFfmpegThreads(16, 4), 8);
    assert.equal(defaultFfmpegThreads(2, 4), 1, 'more slots than cores: one thread each');
    assert.equal(defaultFfmpegThreads(1, 1), 1);
  });
});

describe('loadConfig', () => {
  it('reads the slots and threads from the environment it is given', () => {
    const config = loadConfig({ SHARDFLOW_DATA_DIR: '/tmp/shardflow-config-test', SHARDFLOW_MEDIA_CONCURRENCY: '3', SHARDFLOW_FFMPEG_THREADS: '5', SHARDFLOW_VERIFY_THREADS: '7' });
    assert.equal(config.mediaConcurrency, 3);
    assert.equal(config.ffmpegThreads, 5);
    assert.equal(config.verifyThreads, 7);
  });

  it('refuses a thread count that is not a whole number of at least 1, naming the variable', () => {
    assert.throws(() => loadConfig({ SHARDFLOW_FFMPEG_THREADS: '0' }), /SHARDFLOW_FFMPEG_THREADS must be a whole number of at least 1, got "0"/);
  });
});
