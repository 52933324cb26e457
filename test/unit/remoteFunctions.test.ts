// fc: and http: entries of a functions map: an FC function gets the state's
// event as its body through the real FC SDK (ACS3-signed, qualifier in the
// query) and its errorType comes back; an http: entry speaks the signed
// /invoke contract to a real `shardflow fc-handler` that serves the name from
// its own functions map.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApplicationFailure } from '@temporalio/common';
import { parseFunctionsMap, resolveMapped } from '../../src/functions/userFunctions/functionsMap';
import { mappedFunction } from '../../src/functions/userFunctions/mappedFunction';
import { spawnHandler, TEST_FC_SECRET, verifyAcs3 } from '../support/fcApiServer';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/flowFunctions');
const KEY = { accessKeyId: 'fc-caller-key', accessKeySecret: 'fc-caller-secret' };

interface FcRequest {
  path: string;
  qualifier: string | null;
  body: string;
}

/** FC's InvokeFunction for event functions: checks the signature, then answers as the function would. */
function fcStandIn(seen: FcRequest[]): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const bad = verifyAcs3(req, body, [KEY]);
      if (bad) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ code: 'InvalidSignature', message: bad }));
      }
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ path: url.pathname, qualifier: url.searchParams.get('qualifier'), body: body.toString() });
      const event = JSON.parse(body.toString());
      if (event.fail) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-fc-error-type': 'UnhandledInvocationError' });
        return void res.end(JSON.stringify({ errorType: 'ModerationRejected', errorMessage: `rejected ${event.text}` }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ moderated: event.text, ok: true }));
    });
  });
}

const call = { requestId: 'req-1', timeoutMs: 30_000, signal: new AbortController().signal, attempt: 1 };

describe('fc: and http: functions', () => {
  const seen: FcRequest[] = [];
  const fc = fcStandIn(seen);
  let handler: Awaited<ReturnType<typeof spawnHandler>>;
  let fcEndpoint: string;

  before(async () => {
    await new Promise<void>((resolve) => fc.listen(0, '127.0.0.1', resolve));
    fcEndpoint = `http://127.0.0.1:${(fc.address() as AddressInfo).port}`;
    handler = await spawnHandler({ SHARDFLOW_FLOW_FUNCTIONS_MAP: path.join(FIXTURES, 'functions.yaml') });
  });

  after(() => {
    fc.close();
    handler?.child.kill('SIGKILL');
  });

  it('fc: sends the event as the body to the named function and qualifier; a function error keeps its errorType', async () => {
    const map = parseFunctionsMap({ functions: { moderate: 'fc:content-moderation:prod' } }, '/srv/functions.yaml');
    const env = { FC_ENDPOINT: fcEndpoint, FC_REGION: 'cn-hangzhou', ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret };
    const invoke = mappedFunction(resolveMapped(map, { functionName: 'moderate' })!, env);
    const out = await invoke({ functionName: 'moderate', event: { text: 'hello' }, stateName: 'Moderate' }, call);
    assert.deepEqual(out, { moderated: 'hello', ok: true });
    assert.deepEqual(seen, [{ path: '/2023-03-30/functions/content-moderation/invocations', qualifier: 'prod', body: '{"text":"hello"}' }]);
    await assert.rejects(invoke({ functionName: 'moderate', event: { text: 'spam', fail: true }, stateName: 'Moderate' }, call), (err: ApplicationFailure) => {
      assert.equal(err.type, 'ModerationRejected');
      assert.match(err.message, /rejected spam/);
      return true;
    });
  });

  it('http: calls the function by its name through a signed /invoke to a handler serving it from its own map', async () => {
    const map = parseFunctionsMap({ functions: { 'greet-async': `http:${handler.url}` } }, '/srv/functions.yaml');
    const invoke = mappedFunction(resolveMapped(map, { functionName: 'greet-async' })!, { SHARDFLOW_FC_SECRET: TEST_FC_SECRET });
    const out = (await invoke({ functionName: 'greet-async', event: { name: 'Cy' }, stateName: 'Greet' }, call)) as Record<string, any>;
    assert.equal(out.greeting, 'hello Cy');
    assert.notEqual(out.node.pid, handler.child.pid, 'the handler ran the node: function in a child of its own');
    // Unsigned calls are refused by the handler, which has a secret.
    const unsigned = mappedFunction(resolveMapped(map, { functionName: 'greet-async' })!, {});
    await assert.rejects(unsigned({ functionName: 'greet-async', event: { name: 'Cy' }, stateName: 'Greet' }, call), /401|403|sign/i);
  });
});
