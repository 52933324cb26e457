// s3rver (an S3 server from npm) on a private port and a temporary folder, for
// tests that drive the real AWS SDK. s3rver only checks that the access key id
// is its own and never computes a V4 signature, so clients reach it through a
// proxy that verifies SigV4 (header and presigned) with the known secret.
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSigV4Proxy, type SigV4Decision } from './sigv4Proxy';

// s3rver ships no types; this is the part of its API used here.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

/** The only access key id s3rver accepts; the proxy checks signatures against this secret. */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const S3_REGION = 'us-east-1';

export interface S3TestServer {
  /** The verifying proxy; s3rver itself is not reachable by tests. */
  endpoint: string;
  /** Every request the proxy saw and what it decided. */
  decisions: SigV4Decision[];
  /** Environment for s3SettingsFromEnv and the AWS SDK's credential chain. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Bucket names need at least 3 characters (s3rver's rule, as S3's). */
export async function startS3Server(buckets: string[]): Promise<S3TestServer> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: process.env.S3RVER_DEBUG ? false : true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const proxy = await startSigV4Proxy({ host: '127.0.0.1', port }, [S3RVER_KEY], S3_REGION);
  const endpoint = proxy.endpoint;
  return {
    endpoint,
    decisions: proxy.decisions,
    env: {
      AWS_ACCESS_KEY_ID: S3RVER_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEY.secretAccessKey,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: S3_REGION,
    },
    async close() {
      await proxy.close();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
