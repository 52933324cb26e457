// The preview server serves one package folder and the player scripts, and
// nothing else: no file outside the folder, whatever the path says.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPreviewServer, type PreviewServer } from '../../src/preview/previewServer';

describe('preview server', () => {
  let dir: string;
  let server: PreviewServer;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-preview-'));
    const pkg = path.join(dir, 'pkg');
    mkdirSync(path.join(pkg, '360p'), { recursive: true });
    writeFileSync(path.join(pkg, 'manifest.json'), JSON.stringify({ stream: { rungs: [] } }));
    writeFileSync(path.join(pkg, 'master.m3u8'), '#EXTM3U\n');
    writeFileSync(path.join(pkg, '360p', 'seg-00000.m4s'), Buffer.alloc(10));
    writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    symlinkSync(path.join(dir, 'secret.txt'), path.join(pkg, 'link.m3u8'));
    server = await startPreviewServer({ folder: pkg });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string): Promise<Response> => fetch(new URL(p, server.url));

  it('serves the page, the package with streaming content types, and hls.js / dash.js from node_modules', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /\/vendor\/hls\.min\.js[\s\S]*\/vendor\/dash\.all\.min\.js/);
    const master = await get('/stream/master.m3u8');
    assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal((await get('/stream/360p/seg-00000.m4s')).headers.get('content-type'), 'video/iso.segment');
    for (const lib of ['/vendor/hls.min.js', '/vendor/dash.all.min.js']) {
      const res = await get(lib);
      assert.equal(res.status, 200, lib);
      assert.ok((await res.arrayBuffer()).byteLength > 100_000, `${lib} is the real player`);
    }
  });

  it('refuses paths outside the folder, encoded dots and symlinks that leave it', async () => {
    for (const p of ['/stream/%2e%2e/secret.txt', '/stream/..%2fsecret.txt', '/stream/link.m3u8', '/stream/', '/secret.txt', '/stream/360p']) {
      const res = await get(p);
      assert.equal(res.status, 404, p);
      assert.doesNotMatch(await res.text(), /secret/, p);
    }
  });

  it('refuses a folder that holds no streaming package', async () => {
    await assert.rejects(startPreviewServer({ folder: dir }), /holds no streaming package/);
  });
});
