// The functions map: parsing each kind of implementation, ARN and name keys,
// the mistakes it refuses, and how a Task's resource resolves against it.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseFunctionResource } from '../../src/core/flow/functionContract';
import { validateDefinition } from '../../src/core/flow/validate';
import { knownFunctions } from '../../src/cli/flowFile';
import { isServed, loadFunctionsMap, parseFunctionsMap, parseImplementation, resolveMapped } from '../../src/functions/userFunctions/functionsMap';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/flowFunctions');

describe('functions map', () => {
  it('parses each kind of implementation, with paths relative to the map file', () => {
    const base = '/srv/flows';
    assert.deepEqual(parseImplementation('split', base).impl, { kind: 'builtin', name: 'split' });
    assert.deepEqual(parseImplementation('node:./fn/index.js#main', base), { impl: { kind: 'node', file: '/srv/flows/fn/index.js', handler: 'main' }, handler: 'index.main' });
    assert.deepEqual(parseImplementation('node:../shared/h.mjs', base).impl, { kind: 'node', file: '/srv/shared/h.mjs', handler: 'handler' });
    assert.deepEqual(parseImplementation('python:./py/index.handler', base), { impl: { kind: 'python', dir: '/srv/flows/py', module: 'index', handler: 'handler' }, handler: 'index.handler' });
    assert.deepEqual(parseImplementation('python:main.run', base).impl, { kind: 'python', dir: '/srv/flows', module: 'main', handler: 'run' });
    assert.deepEqual(parseImplementation('fc:video-split', base).impl, { kind: 'fc', functionName: 'video-split' });
    assert.deepEqual(parseImplementation('fc:video-split:prod', base).impl, { kind: 'fc', functionName: 'video-split', qualifier: 'prod' });
    assert.deepEqual(parseImplementation('http:http://127.0.0.1:9000/', base).impl, { kind: 'http', url: 'http://127.0.0.1:9000' });
  });

  it('refuses implementations it cannot run, naming the file and the key', () => {
    for (const [spec, reason] of [
      ['splitter', /is not an implementation/],
      ['node:./f.js#not-a-name', /node: needs FILE#handler/],
      ['python:./py/index', /python: needs DIR\/module.handler/],
      ['fc:a:b:c', /fc: needs a function name/],
      ['http:ftp://x/', /http: needs an http\(s\) URL/],
    ] as const) {
      assert.throws(() => parseFunctionsMap({ functions: { f: spec } }, 'm.yaml'), (err: Error) => {
        assert.match(err.message, /^functions map m\.yaml: "f": /);
        assert.match(err.message, reason);
        return true;
      });
    }
    assert.throws(() => parseFunctionsMap({ fns: {} }, 'm.yaml'), /m\.yaml: needs a "functions" map/);
    assert.throws(() => parseFunctionsMap({ functions: { f: { use: 'split', memory: 1 } } }, 'm.yaml'), /"f": memory must be/);
    assert.throws(() => parseFunctionsMap({ functions: { 'acs:fc:::buckets/x': 'split' } }, 'm.yaml'), /is not a function ARN/);
    // The same function under a name and under an FC 3.0 ARN.
    assert.throws(() => parseFunctionsMap({ functions: { f: 'split', 'acs:fc:cn-hangzhou:1:functions/f': 'merge' } }, 'm.yaml'), /names the same function as "f"/);
  });

  it('resolves a Task resource: a service ARN key first, then the bare name; built-ins without a map', () => {
    const map = parseFunctionsMap(
      {
        functions: {
          'video-flow_split': 'split',
          'acs:fc:cn-hangzhou:123:services/video/functions/encode': 'fc:encode-prod:prod',
          encode: 'transcode',
          greet: { use: 'node:./g.js#handler', env: { GREETING: 'hi', COUNT: 3 }, memory: 1024 },
        },
      },
      '/srv/flows/functions.yaml',
    );
    const at = (resource: string) => resolveMapped(map, parseFunctionResource(resource)!);
    assert.deepEqual(at('acs:fc:::functions/video-flow_split')?.impl, { kind: 'builtin', name: 'split' });
    assert.deepEqual(at('acs:fc:cn-shanghai:999:services/video/functions/encode.LATEST')?.impl, { kind: 'fc', functionName: 'encode-prod', qualifier: 'prod' });
    assert.deepEqual(at('acs:fc:::services/audio/functions/encode')?.impl, { kind: 'builtin', name: 'transcode' });
    assert.deepEqual(at('acs:fc:::functions/encode')?.impl, { kind: 'builtin', name: 'transcode' });
    const greet = at('acs:fc:::functions/greet')!;
    assert.deepEqual(greet.env, { GREETING: 'hi', COUNT: '3' });
    assert.equal(greet.memoryMB, 1024);
    assert.equal(at('acs:fc:::functions/nowhere'), undefined);
    assert.equal(isServed(map, { functionName: 'merge' }), true);
    assert.equal(isServed(undefined, { functionName: 'merge' }), true);
    assert.equal(isServed(map, { functionName: 'nowhere' }), false);
  });

  it('flow validate accepts mapped names and ARNs and names the state and function it does not know', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'functions-map-'));
    const file = path.join(dir, 'functions.json');
    writeFileSync(file, JSON.stringify({ functions: { 'video-flow_split': 'split', 'acs:fc:::services/demo/functions/hello': 'node:./h.js' } }));
    const known = knownFunctions({ SHARDFLOW_FLOW_FUNCTIONS_MAP: file });
    const flow = (resource: string) => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: 'Call', States: [{ Name: 'Call', Type: 'Task', Resource: resource, End: true }] });
    assert.deepEqual(validateDefinition(flow('acs:fc:::functions/video-flow_split'), known), []);
    assert.deepEqual(validateDefinition(flow('acs:fc:cn-hangzhou:1:services/demo/functions/hello'), known), []);
    assert.deepEqual(validateDefinition(flow('acs:fc:::functions/merge'), known), []);
    const [problem, ...rest] = validateDefinition(flow('acs:fc:::services/other/functions/hello'), known);
    assert.deepEqual(rest, []);
    assert.match(problem, /^state "Call": unknown resource acs:fc:::services\/other\/functions\/hello: no function named "hello" in service "other" \(known: .*video-flow_split/);
  });

  it('loads the example and the test fixture maps', () => {
    const fixture = loadFunctionsMap(path.join(FIXTURES, 'functions.yaml'));
    assert.deepEqual(resolveMapped(fixture, { functionName: 'word-count' })?.impl, { kind: 'python', dir: path.join(FIXTURES, 'python'), module: 'index', handler: 'handler' });
    const example = loadFunctionsMap(path.resolve(__dirname, '../../../examples/flows/functions.yaml'));
    assert.ok(example.entries.size >= 4);
    assert.throws(() => loadFunctionsMap(path.join(FIXTURES, 'missing.yaml')), /cannot read functions map .*missing\.yaml: ENOENT/);
  });
});
