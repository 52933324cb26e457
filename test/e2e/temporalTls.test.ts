// Mutual TLS to Temporal from the Temporal CLI's own TEMPORAL_TLS_* settings:
// a TLS front (Node's tls server, requiring a client certificate from a test
// CA) passes the decrypted gRPC stream to the dev server, as a TLS-terminating
// proxy or a TLS-enabled frontend would. The client, the worker's native
// connection and the `temporal` CLI all connect with the same settings; without
// a client certificate, or without TLS, nothing gets through.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { connectClient, connectionOptions, ServerUnreachableError } from '../../src/temporalConnection';
import { temporalAuthFromEnv } from '../../src/temporalTls';

const SERVER_NAME = 'temporal.shardflow.test';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for SERVER_NAME and a client certificate, all signed by the CA. */
function makeCertificates(dir: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=shardflow test CA']);
  for (const [name, subject, ext] of [
    ['server', `/CN=${SERVER_NAME}`, `subjectAltName=DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth\n`],
    ['client', '/CN=shardflow-worker', 'extendedKeyUsage=clientAuth\n'],
  ]) {
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`]);
  }
}

describe('mutual TLS to Temporal', { timeout: 60_000 }, () => {
  let dir: string;
  let front: tls.Server;
  let address: string;
  const upstream = (process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233').split(':');
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-tls-'));
    makeCertificates(dir);
    const read = (f: string) => readFileSync(path.join(dir, f));
    front = tls.createServer(
      { key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
      (socket) => {
        const backend = net.connect(Number(upstream[1]), upstream[0]);
        socket.pipe(backend).pipe(socket);
        socket.on('error', () => backend.destroy());
        backend.on('error', () => socket.destroy());
      },
    );
    front.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
    env = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    };
  });

  after(async () => {
    await new Promise<void>((resolve) => front?.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the Temporal CLI settings: paths or inline PEM, TLS on whenever one is set', () => {
    assert.equal(temporalAuthFromEnv({}).tls, undefined);
    assert.deepEqual(temporalAuthFromEnv({ TEMPORAL_TLS: 'true' }).tls, { serverName: undefined, serverCa: undefined, clientCert: undefined, clientKey: undefined });
    assert.deepEqual(temporalAuthFromEnv({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'PEM' }).tls?.serverCa, { data: 'PEM' });
    assert.deepEqual(temporalAuthFromEnv({ TEMPORAL_TLS_CA: '/ca.pem', TEMPORAL_TLS_CERT: '/c.pem', TEMPORAL_TLS_KEY: '/c.key' }).tls?.clientKey, { path: '/c.key' });
    assert.ok(temporalAuthFromEnv({ TEMPORAL_API_KEY: 'k' }).tls, 'an API key turns TLS on, as in the CLI');
    assert.throws(() => temporalAuthFromEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }), /needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
    assert.throws(() => temporalAuthFromEnv({ TEMPORAL_TLS: 'maybe' }), /TEMPORAL_TLS must be true or false/);
    assert.throws(() => temporalAuthFromEnv({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' }), /contradicts/);
  });

  it('connects the client and the worker connection with the client certificate', async () => {
    const config = loadConfig(env);
    const client = await connectClient(config);
    try {
      const info = await client.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion, 'the frontend answered through TLS');
    } finally {
      await client.connection.close();
    }
    const native = await NativeConnection.connect(connectionOptions(config));
    await native.close();
  });

  it('is refused without a client certificate, and without TLS', async () => {
    const noCert = loadConfig({ ...env, TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' });
    await assert.rejects(connectClient(noCert), (e: unknown) => e instanceof ServerUnreachableError && /over TLS/.test(e.message));
    const plain = loadConfig({ TEMPORAL_ADDRESS: address });
    await assert.rejects(connectClient(plain), ServerUnreachableError);
  });

  it('the temporal CLI connects with the same environment', async () => {
    const cli = process.env.SHARDFLOW_TEMPORAL_CLI;
    if (!cli) return assert.fail('SHARDFLOW_TEMPORAL_CLI is not set');
    // Asynchronously: the TLS front runs in this process.
    const { stdout } = await promisify(execFile)(cli, ['operator', 'cluster', 'health', '--command-timeout', '20s'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.match(stdout, /SERVING/);
  });
});
