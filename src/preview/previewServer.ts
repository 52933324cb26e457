// `shardflow preview`: a small HTTP server for one streaming package folder,
// with a page that plays it. Files are served only from inside the folder.
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { playerLibraries } from './playerLibraries';
import { previewPage } from './previewPage';

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.vtt': 'text/vtt; charset=utf-8',
  '.json': 'application/json',
  '.js': 'text/javascript',
  '.jpg': 'image/jpeg',
};

export interface PreviewServer {
  url: string;
  close(): Promise<void>;
}

export interface PreviewOptions {
  /** The package folder: master.m3u8 and/or manifest.mpd, manifest.json, one folder per rung. */
  folder: string;
  port?: number;
  host?: string;
}

export async function startPreviewServer(o: PreviewOptions): Promise<PreviewServer> {
  const root = path.resolve(o.folder);
  const manifest = JSON.parse(await fs.readFile(path.join(root, 'manifest.json'), 'utf8').catch(() => '{}')) as { stream?: unknown };
  if (!manifest.stream) throw new Error(`${root} holds no streaming package (no manifest.json with "stream"); make one with shardflow transcode --package hls,dash`);
  const vendor = new Map(playerLibraries().map((l) => [l.route, l.file]));
  const page = previewPage();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://preview');
    const send = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
      return;
    }
    let file = vendor.get(url.pathname);
    if (!file && url.pathname.startsWith('/stream/')) {
      const resolved = path.resolve(root, decodeURIComponent(url.pathname.slice('/stream/'.length)));
      // Only files inside the package folder: "..", absolute paths and symlinked escapes are refused.
      if (resolved.startsWith(root + path.sep)) file = resolved;
    }
    if (!file) return send(404, 'not found');
    const found = file;
    fs.realpath(found)
      .then(async (real) => {
        if (!vendor.has(url.pathname) && !real.startsWith((await fs.realpath(root)) + path.sep)) return send(404, 'not found');
        const stat = await fs.stat(real);
        if (!stat.isFile()) return send(404, 'not found');
        res.writeHead(200, {
          'content-type': TYPES[path.extname(real)] ?? 'application/octet-stream',
          'content-length': String(stat.size),
          'cache-control': 'no-cache',
        });
        if (req.method === 'HEAD') return res.end();
        createReadStream(real).pipe(res);
      })
      .catch(() => send(404, 'not found'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
