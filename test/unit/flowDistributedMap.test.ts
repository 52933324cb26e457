// The pure side of a distributed Map: which Maps are distributed, what
// `flow validate` says of their fields, CSV rows, batches, chunk sizes and
// the tolerated-failure arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvRecords, csvRows } from '../../src/core/flow/csvRows';
import { batchItems, isDistributedMap, itemsPerChunk, recordGroups, toleratedFailures, UNITS_PER_CHUNK } from '../../src/core/flow/distributedMap';
import { jsonSize } from '../../src/core/flow/flowErrors';
import { validateDefinition } from '../../src/core/flow/validate';

const pass = { StartAt: 'P', States: [{ Name: 'P', Type: 'Pass', End: true }] };
const withMap = (fields: Record<string, unknown>) => ({ Type: 'StateMachine', SpecVersion: 'v1', StartAt: 'M', States: [{ Name: 'M', Type: 'Map', Processor: pass, End: true, ...fields }] });

describe('distributed Map definitions', () => {
  it('ProcessorConfig Mode DISTRIBUTED (or ExecutionMode Express), or any distributed-only field, makes a Map distributed; a plain Map stays inline', () => {
    assert.equal(isDistributedMap({ ProcessorConfig: { Mode: 'DISTRIBUTED' } }), true);
    assert.equal(isDistributedMap({ ProcessorConfig: { ExecutionMode: 'Express' } }), true);
    assert.equal(isDistributedMap({ ItemReader: {} }), true);
    assert.equal(isDistributedMap({ ToleratedFailureCount: 0 }), true);
    assert.equal(isDistributedMap({ ItemsPath: '$Input.x', MaxConcurrency: 3 }), false);
    assert.equal(isDistributedMap({ ProcessorConfig: { Mode: 'INLINE' } }), false);
  });

  it('flow validate names the field and the reason', () => {
    assert.deepEqual(validateDefinition(withMap({ ItemReader: { SourceType: 'OSS_CSV', SourceParameters: { Bucket: 'b', ObjectName: 'x.csv' } }, ResultWriter: { Parameters: { Bucket: 'b', Prefix: 'out/' } } })), []);
    const errors = validateDefinition(
      withMap({
        ItemReader: { SourceType: 'OSS_XML', SourceParameters: { Prefix: 'p' }, ReaderConfig: { CSVHeaders: [] } },
        ItemBatcher: { MaxItemsPerBatch: 0 },
        ResultWriter: { Parameters: { Prefix: 'p' } },
        ToleratedFailureCount: -1,
        ToleratedFailurePercentage: 101,
        MaxItems: { MaxNumber: 0 },
        ItemConstructor: { 'a.$': 'nope(' },
      }),
    );
    for (const expected of [
      /state "M": ItemReader.SourceType must be one of OSS_OBJECTS, OSS_JSON_LIST, OSS_CSV, OSS_INVENTORY_FILES, not "OSS_XML"/,
      /state "M": ItemReader.SourceParameters needs Bucket/,
      /state "M": ItemReader.SourceParameters needs ObjectName for OSS_XML/,
      /state "M": ItemReader.ReaderConfig.CSVHeaders must be a non-empty list of strings/,
      /state "M": ItemBatcher.MaxItemsPerBatch must be a whole number ≥ 1/,
      /state "M": ResultWriter needs Parameters with Bucket/,
      /state "M": ToleratedFailureCount must be a whole number ≥ 0/,
      /state "M": ToleratedFailurePercentage must be a number from 0 to 100/,
      /state "M": MaxItems must be a whole number ≥ 1 or \{MaxNumber: n\}/,
      /state "M": ItemConstructor.a.\$: bad/,
    ]) {
      assert.ok(errors.some((e) => expected.test(e)), `expected ${expected}, got ${JSON.stringify(errors)}`);
    }
  });
});

describe('CSV rows', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, with or without a final line break', () => {
    assert.deepEqual(csvRows('a,b\r\n"x, y","say ""hi"""\n"two\nlines",\n3,4'), [['a', 'b'], ['x, y', 'say "hi"'], ['two\nlines', ''], ['3', '4']]);
    assert.deepEqual(csvRows('\ufeffh\nv\n'), [['h'], ['v']]);
    assert.throws(() => csvRows('a,"open\n'), /line 2: a quoted field never ends/);
    assert.throws(() => csvRows('a,b"c\n'), /line 1: a quote inside an unquoted field/);
  });

  it('keys each row by the headers; a row of another width is an error naming its line', () => {
    assert.deepEqual(csvRecords([['1', '2']], ['x', 'y'], 2), [{ x: '1', y: '2' }]);
    assert.throws(() => csvRecords([['1', '2'], ['3']], ['x', 'y'], 2), /line 3: 1 fields, but there are 2 columns \(x, y\)/);
  });
});

describe('batches and chunks', () => {
  it('MaxItemsPerBatch and MaxInputBytesPerBatch bound each batch; an item bigger than the byte bound gets a batch of its own', () => {
    assert.deepEqual(batchItems([1, 2, 3], { MaxItemsPerBatch: 2, BatchInput: { k: 1 } }), [
      { first: 0, batch: { Items: [1, 2], BatchInput: { k: 1 } } },
      { first: 2, batch: { Items: [3], BatchInput: { k: 1 } } },
    ]);
    const big = 'x'.repeat(40);
    const batches = batchItems(['a', 'b', big, 'c'], { MaxInputBytesPerBatch: 20 });
    assert.deepEqual(batches.map((b) => b.batch.Items), [['a', 'b'], [big], ['c']]);
    for (const b of batches) if (b.batch.Items.length > 1) assert.ok(jsonSize(b.batch) <= 20);
  });

  it('chunks hold whole batches of about UNITS_PER_CHUNK units', () => {
    assert.equal(itemsPerChunk(undefined), UNITS_PER_CHUNK);
    assert.equal(itemsPerChunk({ MaxItemsPerBatch: 3 }), 3 * Math.floor(UNITS_PER_CHUNK / 3));
    assert.equal(itemsPerChunk({ MaxItemsPerBatch: 5000 }), 5000);
    assert.deepEqual(recordGroups([1, 2, 3, 4], 6).map((g) => g.length), [2, 2]);
  });

  it('tolerated failures: the smaller of the count and the percentage of the total; none when neither is set', () => {
    assert.equal(toleratedFailures(10), 0);
    assert.equal(toleratedFailures(10, 3), 3);
    assert.equal(toleratedFailures(10, undefined, 25), 2);
    assert.equal(toleratedFailures(1000, 50, 10), 50);
    assert.equal(toleratedFailures(1000, 500, 10), 100);
  });
});
