// Conformance of the Map state in distributed mode with CloudFlow's
// documentation: ItemReader (OSS object listing, JSON list, CSV), ItemConstructor,
// ItemBatcher, ResultWriter, tolerated failures and MaxConcurrency, on the real
// dev server with the real workflow and the real storage activities, reading
// and writing through the local OSS test server (SHARDFLOW_FLOW_STORE=oss).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/core/contracts';
import { MAP_RUN_WORKFLOW, RUN_FLOW_WORKFLOW, type RunFlowInput } from '../../src/core/flow/flowNames';
import type { MapRunPartInput, MapRunPartResult } from '../../src/workflows/flowMapRun';
import type { InvokeFunctionInput } from '../../src/core/flow/functionContract';
import { Stores } from '../../src/storage/stores';
import { OssServer } from '../support/ossServer';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { ossFlowStoreEnv, setProcessEnv } from '../support/processEnv';

const OSS_KEY = { accessKeyId: 'LTAIdistmap0001', accessKeySecret: 'distmap-oss-secret-77a1' };
const BUCKET = 'map-data';

let inFlight = 0;
let maxInFlight = 0;
const standIns = {
  invokeFunction: async (input: InvokeFunctionInput) => {
    if (input.functionName !== 'track') throw ApplicationFailure.create({ type: 'FunctionNotFound', message: `no function ${input.functionName}`, nonRetryable: true });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      await Context.current().sleep(150);
    } finally {
      inFlight--;
    }
    return { seen: input.event };
  },
} as unknown as Partial<Activities>;

let restoreEnv: () => void = () => undefined;
let oss: OssServer;
let stores: Stores;
let env: TestEnv;

before(async () => {
  oss = await OssServer.start({ credentials: [OSS_KEY], buckets: [BUCKET] });
  restoreEnv = setProcessEnv(ossFlowStoreEnv(oss.endpoint, OSS_KEY));
  env = await createTestEnv({ activities: standIns });
  stores = new Stores(env.dir);
});
after(async () => {
  await env.close();
  await oss.close();
  restoreEnv();
});

const put = (key: string, text: string) => stores.for(`oss://${BUCKET}/${key}`).putText(`oss://${BUCKET}/${key}`, text);
const readJson = async (key: string): Promise<any> => JSON.parse((await oss.read(BUCKET, key)).toString('utf8'));

const pass = { StartAt: 'Echo', States: [{ Name: 'Echo', Type: 'Pass', End: true }] };
/** Fails items marked `bad` with MyError. */
const failThirds = {
  StartAt: 'Check',
  States: [
    { Name: 'Check', Type: 'Choice', Branches: [{ Condition: '$Input.bad == true', Next: 'Boom' }], Default: 'Ok' },
    { Name: 'Boom', Type: 'Fail', Error: 'MyError', Cause: 'a multiple of three' },
    { Name: 'Ok', Type: 'Pass', End: true },
  ],
};
const distributed = { Mode: 'DISTRIBUTED' };

function flow(map: Record<string, unknown>, after: unknown[] = []) {
  return { Type: 'StateMachine', SpecVersion: 'v1', StartAt: 'Map', States: [{ Name: 'Map', Type: 'Map', ProcessorConfig: distributed, Processor: pass, End: true, ...map }, ...after] };
}

function start(definition: unknown, input: unknown = {}) {
  const args: RunFlowInput = { definition, input };
  return env.client.workflow.start(RUN_FLOW_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: `distmap-${randomUUID()}`, args: [args] });
}
const output = async (definition: unknown, input: unknown = {}): Promise<any> => (await start(definition, input)).result();

async function failure(definition: unknown, input: unknown = {}): Promise<{ type: string; message: string }> {
  try {
    await output(definition, input);
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause)}`);
    return { type: err.cause.type ?? '', message: err.cause.message };
  }
  assert.fail('the execution succeeded');
}

describe('distributed Map: ItemReader', () => {
  it('OSS_JSON_LIST reads a JSON list object; ItemConstructor builds each item from $Item and $Input', async () => {
    await put('lists/people.json', JSON.stringify([{ name: 'ann', age: 31 }, { name: 'bob', age: 42 }, { name: 'cy', age: 7 }]));
    const out = await output(
      flow({
        ItemReader: { SourceType: 'OSS_JSON_LIST', SourceParameters: { 'Bucket.$': '$Input.bucket', ObjectName: 'lists/people.json' } },
        ItemConstructor: { 'who.$': '$Item.name', 'years.$': '$Item.age', 'team.$': '$Input.team', 'greeting.$': "format('hi {}', $Item.name)" },
      }),
      { bucket: BUCKET, team: 'red' },
    );
    assert.deepEqual(out, {
      Items: [
        { who: 'ann', years: 31, team: 'red', greeting: 'hi ann' },
        { who: 'bob', years: 42, team: 'red', greeting: 'hi bob' },
        { who: 'cy', years: 7, team: 'red', greeting: 'hi cy' },
      ],
    });
  });

  it('OSS_CSV: the header row names the fields (quoted fields keep commas, quotes and line breaks); ReaderConfig.CSVHeaders names them when there is none', async () => {
    await put('tables/films.csv', 'title,year,note\r\n"Alien, the film",1979,"said ""run"""\r\nHeat,1995,"two\nlines"\r\n');
    const withHeader = await output(flow({ ItemReader: { SourceType: 'OSS_CSV', SourceParameters: { Bucket: BUCKET, ObjectName: 'tables/films.csv' } } }));
    assert.deepEqual(withHeader.Items, [
      { title: 'Alien, the film', year: '1979', note: 'said "run"' },
      { title: 'Heat', year: '1995', note: 'two\nlines' },
    ]);
    await put('tables/bare.csv', 'a,1\nb,2\n');
    const given = await output(flow({ ItemReader: { SourceType: 'OSS_CSV', SourceParameters: { Bucket: BUCKET, ObjectName: 'tables/bare.csv' }, ReaderConfig: { CSVHeaders: ['letter', 'digit'] } } }));
    assert.deepEqual(given.Items, [
      { letter: 'a', digit: '1' },
      { letter: 'b', digit: '2' },
    ]);
    await put('tables/ragged.csv', 'x,y\n1,2\n3\n');
    const bad = await failure(flow({ ItemReader: { SourceType: 'OSS_CSV', SourceParameters: { Bucket: BUCKET, ObjectName: 'tables/ragged.csv' } } }));
    assert.match(bad.message, /tables\/ragged\.csv is not CSV: line 3: 1 fields, but there are 2 columns/);
  });

  it('OSS_OBJECTS lists every object whose key starts with the prefix, over several listing pages', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `photos/2024-${String(i).padStart(4, '0')}.jpg`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k, j) => put(k, 'x'.repeat(((i + j) % 7) + 1))));
    await put('photos/2023-0001.jpg', 'old');
    await put('photos-elsewhere.txt', 'no');
    const listings = oss.count('ListObjectsV2');
    const out = await output(flow({ ItemReader: { SourceType: 'OSS_OBJECTS', SourceParameters: { Bucket: BUCKET, Prefix: 'photos/2024-' } }, ItemConstructor: { 'Key.$': '$Item.Key', 'Size.$': '$Item.Size' } }));
    assert.ok(oss.count('ListObjectsV2') - listings >= 2, 'the listing took more than one page');
    assert.equal(out.Items.length, keys.length);
    assert.deepEqual(out.Items.map((i: { Key: string }) => i.Key), keys);
    assert.deepEqual(out.Items.slice(0, 8).map((i: { Size: number }) => i.Size), [1, 2, 3, 4, 5, 6, 7, 1]);
  });

  it('OSS_INVENTORY_FILES reads every row of the inventory files a manifest lists, keyed by its fileSchema', async () => {
    const rows = (keys: string[]) => keys.map((k) => `"${BUCKET}","${encodeURIComponent(k)}","${k.length}"`).join('\n') + '\n';
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inventory-'));
    try {
      const files = [['inv/data/1.csv.gz', ['a b.txt', 'c.txt']], ['inv/data/2.csv.gz', ['d/e.txt']]] as const;
      for (const [key, keys] of files) {
        const local = path.join(dir, path.basename(key));
        await writeFile(local, gzipSync(rows([...keys])));
        await stores.for(`oss://${BUCKET}/${key}`).putFile(`oss://${BUCKET}/${key}`, local);
      }
      await put('inv/manifest.json', JSON.stringify({ sourceBucket: BUCKET, fileFormat: 'CSV', fileSchema: 'Bucket, Key, Size', files: files.map(([key]) => ({ key })) }));
      const out = await output(flow({ ItemReader: { SourceType: 'OSS_INVENTORY_FILES', SourceParameters: { Bucket: BUCKET, ObjectName: 'inv/manifest.json' } } }));
      assert.deepEqual(out.Items, [
        { Bucket: BUCKET, Key: 'a b.txt', Size: '7' },
        { Bucket: BUCKET, Key: 'c.txt', Size: '5' },
        { Bucket: BUCKET, Key: 'd/e.txt', Size: '7' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a missing source object fails the Map naming the object', async () => {
    const err = await failure(flow({ ItemReader: { SourceType: 'OSS_JSON_LIST', SourceParameters: { Bucket: BUCKET, ObjectName: 'lists/none.json' } } }));
    assert.equal(err.type, 'MissingObject');
    assert.match(err.message, /lists\/none\.json/);
  });
});

describe('distributed Map: ItemBatcher', () => {
  it('MaxItemsPerBatch groups items into {Items, BatchInput}; BatchInput may read the Map input', async () => {
    const out = await output(flow({ ItemsPath: '$Input.list', ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'run.$': '$Input.run', fixed: 1 } } }), { list: [1, 2, 3, 4, 5], run: 'r1' });
    assert.deepEqual(out.Items, [
      { Items: [1, 2], BatchInput: { run: 'r1', fixed: 1 } },
      { Items: [3, 4], BatchInput: { run: 'r1', fixed: 1 } },
      { Items: [5], BatchInput: { run: 'r1', fixed: 1 } },
    ]);
  });

  it('MaxInputBytesPerBatch bounds the bytes of each batch', async () => {
    const list = ['aaaa', 'bbbb', 'cccc', 'dddd'];
    // {"Items":["aaaa","bbbb"]} is 25 bytes; a third item would make it 32.
    const out = await output(flow({ ItemsPath: '$Input.list', ItemBatcher: { MaxInputBytesPerBatch: 30 } }), { list });
    assert.deepEqual(out.Items, [{ Items: ['aaaa', 'bbbb'] }, { Items: ['cccc', 'dddd'] }]);
  });
});

describe('distributed Map: ResultWriter and tolerated failures', () => {
  // Items 3, 6 and 9 fail.
  const items = Array.from({ length: 10 }, (_, i) => ({ n: i + 1, bad: (i + 1) % 3 === 0 }));

  it('writes results and failures to OSS and returns the summary; failures within ToleratedFailureCount leave the Map succeeded', async () => {
    const out = await output(flow({ ItemsPath: '$Input.items', Processor: failThirds, ToleratedFailureCount: 3, ResultWriter: { Parameters: { Bucket: BUCKET, Prefix: 'results' } } }), { items });
    assert.match(out.MapRunName, /^[0-9a-f]{32}$/);
    assert.deepEqual(out.ItemCounts, { Total: 10, Succeeded: 7, Failed: 3 });
    assert.deepEqual(out.ResultWriterDetails, { Bucket: BUCKET, Prefix: `results/${out.MapRunName}/`, ObjectName: `results/${out.MapRunName}/manifest.json` });
    const manifest = await readJson(out.ResultWriterDetails.ObjectName);
    assert.deepEqual(manifest.ItemCounts, out.ItemCounts);
    assert.equal(manifest.ResultFiles.SUCCEEDED.length, 1);
    assert.equal(manifest.ResultFiles.FAILED.length, 1);
    const ok = await readJson(manifest.ResultFiles.SUCCEEDED[0].Key);
    const bad = await readJson(manifest.ResultFiles.FAILED[0].Key);
    assert.deepEqual(ok.map((r: { Index: number }) => r.Index), [0, 1, 3, 4, 6, 7, 9]);
    assert.deepEqual(ok[0], { Index: 0, Input: items[0], Output: items[0] });
    assert.deepEqual(bad, [3, 6, 9].map((n) => ({ Index: n - 1, Input: items[n - 1], Error: 'MyError', Cause: 'a multiple of three' })));
    assert.equal(manifest.ResultFiles.SUCCEEDED[0].Size, (await oss.read(BUCKET, manifest.ResultFiles.SUCCEEDED[0].Key)).length);
  });

  it('more failures than ToleratedFailurePercentage allows fail the Map with States.ExceedToleratedFailureThreshold, which a Catch handles', async () => {
    const err = await failure(flow({ ItemsPath: '$Input.items', Processor: failThirds, ToleratedFailurePercentage: 20 }), { items });
    assert.equal(err.type, 'States.ExceedToleratedFailureThreshold');
    assert.match(err.message, /state "Map": 3 of 10 items failed \(30\.0%\), more than the 2 tolerated/);
    const caught = await output(
      flow({ ItemsPath: '$Input.items', Processor: failThirds, ToleratedFailureCount: 1, Catch: [{ Errors: ['States.ExceedToleratedFailureThreshold'], Next: 'Handled' }] }, [{ Name: 'Handled', Type: 'Pass', End: true }]),
      { items },
    );
    assert.equal(caught.Error, 'States.ExceedToleratedFailureThreshold');
  });

  it('without a failure tolerance the first failed item fails the Map with its own error; failures within it show in Items', async () => {
    const err = await failure(flow({ ItemsPath: '$Input.items', Processor: failThirds }), { items });
    assert.equal(err.type, 'MyError');
    const out = await output(flow({ ItemsPath: '$Input.items', Processor: failThirds, ToleratedFailurePercentage: 50 }), { items: items.slice(0, 4) });
    assert.deepEqual(out.Items, [items[0], items[1], { Error: 'MyError', Cause: 'a multiple of three' }, items[3]]);
  });
});

describe('distributed Map: concurrency and size', () => {
  it('MaxConcurrency bounds the items in flight', async () => {
    maxInFlight = 0;
    const processor = { StartAt: 'Call', States: [{ Name: 'Call', Type: 'Task', Resource: 'acs:fc:::functions/track', End: true }] };
    const out = await output(flow({ ItemsPath: '$Input.list', Processor: processor, MaxConcurrency: 3 }), { list: Array.from({ length: 12 }, (_, i) => i) });
    assert.equal(out.Items.length, 12);
    // A CloudFlow function task's output is FC's response: the function's answer is its Body.
    assert.deepEqual((out.Items[11] as { Body: unknown }).Body, { seen: 11 });
    assert.equal(maxInFlight, 3);
  });

  it('MaxItems stops after that many items; items past one chunk run in several children, in order', async () => {
    const list = Array.from({ length: 2500 }, (_, i) => i);
    const handle = await start(flow({ ItemsPath: '$Input.list', MaxItems: { MaxNumber: 2300 } }), { list });
    const out = (await handle.result()) as { Items: number[] };
    assert.deepEqual(out.Items, list.slice(0, 2300));
    const events = (await handle.fetchHistory()).events ?? [];
    const children = events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowType?.name);
    assert.deepEqual(children, ['runFlowMapRun', 'runFlowMapRun', 'runFlowMapRun']);
  });

  it('past the children one workflow may start, chunks run through group children, every item once and in order', async () => {
    // 7 chunks of 2 items, at most 3 children per workflow: groups of chunks 1-3, 4-6 and 7.
    const chunks = Array.from({ length: 7 }, (_, c) => ({ start: 2 * c, items: [2 * c, 2 * c + 1] }));
    const idBase = `distmap-groups-${randomUUID()}`;
    const part: MapRunPartInput = {
      spec: {
        kind: 'cloudflow', stateName: 'Map', where: 'Map', processor: pass, stepLimit: 1000, execution: { name: idBase, input: {} },
        mapRunName: 'groups', idBase, total: 14, inline: chunks, concurrencyPerChunk: 2, parallelChunks: 2,
        tolerated: 0, toleranceSet: false, childrenPerWorkflow: 3,
      },
      from: 0,
      to: 7,
    };
    const handle = await env.client.workflow.start(MAP_RUN_WORKFLOW, { taskQueue: env.config.taskQueue, workflowId: idBase, args: [part] });
    const result = (await handle.result()) as MapRunPartResult;
    assert.deepEqual(result, { Succeeded: 14, Failed: 0, Items: Array.from({ length: 14 }, (_, i) => i) });
    const childIds = async (id: string): Promise<string[]> =>
      ((await env.client.workflow.getHandle(id).fetchHistory()).events ?? []).map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId).filter((c): c is string => !!c);
    assert.deepEqual(await childIds(idBase), [`${idBase}.g0-2`, `${idBase}.g3-5`, `${idBase}.g6-6`]);
    assert.deepEqual(await childIds(`${idBase}.g3-5`), [`${idBase}.3`, `${idBase}.4`, `${idBase}.5`]);
    assert.deepEqual(await childIds(`${idBase}.g6-6`), [`${idBase}.6`]);
  });

  it('outputs past the payload limit without a ResultWriter fail the Map saying to add one', async () => {
    // 2,000 items of 1.5 KB: 3 MB of outputs, in chunks of at most 512 KB each.
    await put('lists/big.json', JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i, pad: 'x'.repeat(1500) }))));
    const err = await failure(flow({ ItemReader: { SourceType: 'OSS_JSON_LIST', SourceParameters: { Bucket: BUCKET, ObjectName: 'lists/big.json' } } }));
    assert.equal(err.type, 'FnF.PayloadTooLarge');
    assert.match(err.message, /state "Map": its items' outputs are \d+ bytes, over Temporal's 2097152-byte payload limit; give the Map a ResultWriter/);
  });

  it('a Map without ProcessorConfig or distributed fields still runs inline (no child workflows)', async () => {
    const definition = { Type: 'StateMachine', SpecVersion: 'v1', StartAt: 'Map', States: [{ Name: 'Map', Type: 'Map', ItemsPath: '$Input.list', Processor: pass, End: true }] };
    const handle = await start(definition, { list: [1, 2] });
    assert.deepEqual(await handle.result(), { Items: [1, 2] });
    const events = (await handle.fetchHistory()).events ?? [];
    assert.equal(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length, 0);
  });
});
