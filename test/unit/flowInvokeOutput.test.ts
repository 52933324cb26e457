// The output of a CloudFlow FC:InvokeFunction Task: FC's response around the
// function's answer, as Alibaba's CloudFlow wraps it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fcInvokeOutput } from '../../src/core/flow/invokeOutput';
import { construct } from '../../src/core/flow/mappings';

describe('fcInvokeOutput', () => {
  it('puts an object or array answer in Body, with a JSON content type and status 200', () => {
    assert.deepEqual(fcInvokeOutput({ split_keys: ['a'] }), { Body: { split_keys: ['a'] }, Headers: { 'Content-Type': 'application/json' }, StatusCode: 200 });
    assert.deepEqual(fcInvokeOutput([1, 2]).Body, [1, 2]);
  });

  it('parses an answer that is JSON text, and keeps other text as it is', () => {
    assert.deepEqual(fcInvokeOutput('{"video_proc_dir":"/mnt/x"}').Body, { video_proc_dir: '/mnt/x' });
    assert.equal(fcInvokeOutput('42').Body, 42);
    const text = fcInvokeOutput('done: 3 files');
    assert.equal(text.Body, 'done: 3 files');
    assert.equal(text.Headers['Content-Type'], 'text/plain');
  });

  it('keeps null and numbers as the body', () => {
    assert.equal(fcInvokeOutput(null).Body, null);
    assert.equal(fcInvokeOutput(7).Body, 7);
  });

  it('is what $Output.Body.<field> reads in an OutputConstructor, as the published samples do', () => {
    const output = fcInvokeOutput({ video_proc_dir: 'work/1/', dst_formats: [{ format: 'mp4' }] });
    const shaped = construct({ 'video_proc_dir.$': '$Output.Body.video_proc_dir', 'dst_formats.$': '$Output.Body.dst_formats', 'code.$': '$Output.StatusCode' }, { Input: {}, Output: output, '': {} });
    assert.deepEqual(shaped, { video_proc_dir: 'work/1/', dst_formats: [{ format: 'mp4' }], code: 200 });
  });
});
