// ffmpeg and ffprobe run with glibc malloc settings that keep freed frame
// buffers (src/media/mediaProcessEnv.ts); an operator's own GLIBC_TUNABLES wins.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MEDIA_MALLOC_TUNABLES, mediaProcessEnv } from '../../src/media/mediaProcessEnv';
import { runProcess } from '../../src/media/runProcess';

/** glibc's dynamic loader, which prints the tunables a process would start with. */
const LD_SO = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((p) => existsSync(p));

describe('the environment media processes run in', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.GLIBC_TUNABLES;
    delete process.env.GLIBC_TUNABLES;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.GLIBC_TUNABLES;
    else process.env.GLIBC_TUNABLES = saved;
  });

  it('adds the malloc settings and keeps everything else', () => {
    const env = mediaProcessEnv({ PATH: '/usr/bin', HOME: '/root' });
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/root', GLIBC_TUNABLES: MEDIA_MALLOC_TUNABLES });
  });

  it("leaves an operator's GLIBC_TUNABLES alone, even an empty one", () => {
    assert.equal(mediaProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2');
    assert.equal(mediaProcessEnv({ GLIBC_TUNABLES: '' }).GLIBC_TUNABLES, '');
  });

  it('hands the settings to the processes it starts', async () => {
    const { stdout } = await runProcess('/bin/sh', ['-c', 'printf %s "$GLIBC_TUNABLES"']);
    assert.equal(stdout, MEDIA_MALLOC_TUNABLES);
    process.env.GLIBC_TUNABLES = 'glibc.malloc.arena_max=2';
    assert.equal((await runProcess('/bin/sh', ['-c', 'printf %s "$GLIBC_TUNABLES"'])).stdout, 'glibc.malloc.arena_max=2');
  });

  it('names settings this glibc takes: both thresholds at 256 MiB', { skip: LD_SO ? false : 'no glibc loader here' }, async () => {
    const { stdout } = await runProcess(LD_SO!, ['--list-tunables']);
    assert.match(stdout, /glibc\.malloc\.mmap_threshold: 0x10000000 /);
    assert.match(stdout, /glibc\.malloc\.trim_threshold: 0x10000000 /);
  });
});
