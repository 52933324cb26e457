// node: and python: functions in their own processes: the FC event and
// context, results and typed errors, and a hang or crash that ends with the
// child, never the caller.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { needs } from '../support/required';
import { OssServer } from '../support/ossServer';
import { until } from '../support/until';
import { loadFunctionsMap, resolveMapped } from '../../src/functions/userFunctions/functionsMap';
import { mappedFunction, type MappedCall } from '../../src/functions/userFunctions/mappedFunction';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/flowFunctions');
const map = loadFunctionsMap(path.join(FIXTURES, 'functions.yaml'));
/** FC's Python runtime ships oss2; scripts/bootstrap.sh makes a venv with it. */
const PYTHON_WITH_OSS2 = path.resolve(__dirname, '../../../.tools/fc-python/bin/python');

function call(functionName: string, event: unknown, options: Partial<MappedCall> & { service?: string; env?: Record<string, string> } = {}) {
  const entry = resolveMapped(map, { functionName, service: options.service })!;
  const logs: string[] = [];
  const env = { PATH: process.env.PATH, FC_REGION: 'cn-hangzhou', ALIBABA_CLOUD_ACCESS_KEY_ID: 'key-id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'key-secret', SHARDFLOW_FC_SECRET: 'worker-only', ...options.env };
  const run = mappedFunction(entry, env, (l) => logs.push(l));
  const result = run(
    { functionName, event, stateName: 'S', ...(options.service ? { service: options.service } : {}) },
    { requestId: 'req-1', timeoutMs: options.timeoutMs ?? 20_000, signal: options.signal ?? new AbortController().signal, attempt: 1 },
  );
  return { result, logs };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('node: and python: functions', () => {
  it('node async handler: a Buffer event, the FC context, its logs kept apart from its result', async () => {
    const { result, logs } = call('greet-async', { name: 'Ada' });
    const out = (await result) as Record<string, any>;
    assert.equal(out.greeting, 'hello Ada');
    assert.notEqual(out.node.pid, process.pid);
    assert.equal(out.node.requestId, 'req-1');
    assert.deepEqual(out.node.function, { name: 'greet-async', handler: 'greet.handler', memory: 512, timeout: 20 });
    assert.ok(logs.some((l) => l.includes('greeting Ada')), logs.join('\n'));
  });

  it('node callback handler answering JSON text, under a service ARN key', async () => {
    const out = (await call('greet-callback', { name: 'Bo' }, { service: 'demo' }).result) as Record<string, any>;
    assert.deepEqual(out, { name: 'Bo', legacy: { function: 'greet-callback', handler: 'legacy.main', service: 'demo' } });
  });

  it('python handler: bytes event, context attributes, prints kept out of the answer', async () => {
    const { result, logs } = call('word-count', { text: 'one two three' });
    const out = (await result) as Record<string, any>;
    assert.equal(out.words, 3);
    assert.deepEqual(out.python, { request_id: 'req-1', function: 'word-count', handler: 'index.handler', memory: 256, timeout: 20, service: '', has_credentials: true });
    assert.ok(logs.some((l) => l.includes('counting words of one two three')), logs.join('\n'));
  });

  it('errors keep the function\'s error name, as FC reports errorType', async () => {
    const node = await rejection(call('quota-fails', {}).result);
    assert.ok(node instanceof ApplicationFailure);
    assert.equal(node.type, 'QuotaExceeded');
    assert.match(node.message, /function "quota-fails" \(node:greet.fail\) in state "S": the quota of 3 calls is used up/);
    const py = await rejection(call('word-count-fails', { text: '' }).result);
    assert.equal((py as ApplicationFailure).type, 'ValueError');
    assert.match(py.message, /no words to count/);
  });

  it('an answer over FC\'s 6 MB response limit fails for good', async () => {
    const err = await rejection(call('answers-too-much', {}).result);
    assert.equal((err as ApplicationFailure).type, 'FunctionResultTooLarge');
    assert.equal((err as ApplicationFailure).nonRetryable, true);
  });

  it('a hang is killed at the timeout, and cancellation kills it too', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'child-function-'));
    const pidFile = path.join(dir, 'pid');
    const started = Date.now();
    const timedOut = await rejection(call('hangs', { pidFile }, { timeoutMs: 1500 }).result);
    assert.equal((timedOut as ApplicationFailure).type, 'FC.Timeout');
    assert.ok(Date.now() - started < 5000);
    assert.throws(() => process.kill(Number(readFileSync(pidFile, 'utf8')), 0), /ESRCH/);

    const abort = new AbortController();
    const cancelled = call('hangs', { pidFile: `${pidFile}2` }, { signal: abort.signal });
    await until('the function to write its pid', () => existsSync(`${pidFile}2`) || undefined, 10, 50);
    abort.abort();
    assert.ok((await rejection(cancelled.result)) instanceof CancelledFailure);
    await new Promise((r) => setTimeout(r, 100));
    assert.throws(() => process.kill(Number(readFileSync(`${pidFile}2`, 'utf8')), 0), /ESRCH/);
  });

  it('the child gets FC variables and the map\'s env, not the worker\'s secrets', async () => {
    assert.deepEqual(await call('env-dump', {}).result, { workerSecret: null, region: 'cn-hangzhou', functionName: 'env-dump', bucket: 'from-the-map' });
  });

  const withOss2 = needs(existsSync(PYTHON_WITH_OSS2), 'oss2 for Python', 'run scripts/bootstrap.sh to make .tools/fc-python');
  it('a python handler writes to OSS with oss2 and the context\'s credentials', withOss2, async () => {
    const key = { accessKeyId: 'py-role-key', accessKeySecret: 'py-role-secret', securityToken: 'py-role-token' };
    const oss = await OssServer.start({ credentials: [key], buckets: ['words'] });
    try {
      const env = {
        SHARDFLOW_FLOW_PYTHON: PYTHON_WITH_OSS2,
        ALIBABA_CLOUD_ACCESS_KEY_ID: key.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.accessKeySecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: key.securityToken,
      };
      const out = (await call('oss-put-python', { oss_endpoint: oss.endpoint, bucket: 'words', text: 'one two' }, { env }).result) as Record<string, any>;
      assert.deepEqual(out, { bucket: 'words', key: 'words/req-1.txt', status: 200 });
      assert.equal((await oss.read('words', 'words/req-1.txt')).toString(), 'one two');
    } finally {
      await oss.close();
    }
  });
});
