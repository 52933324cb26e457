// The node flags a worker starts with reach node when the command runs as
// users run it: bin/shardflow.js through its shebang, and the worker image.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { WORKER_NODE_FLAGS } from '../../src/workerNodeFlags';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'bin', 'shardflow.js');

test('bin/shardflow.js starts node with WORKER_NODE_FLAGS', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'node-flags-'));
  try {
    // Preloaded into the node the shebang starts: it reports the flags that node got.
    const report = path.join(dir, 'report.js');
    await fs.writeFile(report, "process.stderr.write('execArgv=' + JSON.stringify(process.execArgv) + '\\n');\n");
    const { stdout, stderr } = await promisify(execFile)(CLI, ['--version'], { env: { ...process.env, NODE_OPTIONS: `--require ${report}` } });
    assert.match(stdout, /\d+\.\d+\.\d+/);
    const line = stderr.split('\n').find((l) => l.startsWith('execArgv='));
    assert.ok(line, `the preload did not run: ${stderr}`);
    assert.deepEqual(JSON.parse(line.slice('execArgv='.length)), [...WORKER_NODE_FLAGS]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test("the worker image's entry point starts node with WORKER_NODE_FLAGS", async () => {
  const dockerfile = await fs.readFile(path.join(REPO, 'Dockerfile'), 'utf8');
  const worker = dockerfile.slice(dockerfile.indexOf('AS worker'));
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(worker);
  assert.ok(entry, 'the worker stage has no ENTRYPOINT');
  assert.deepEqual(JSON.parse(entry[1]), ['node', ...WORKER_NODE_FLAGS, '/app/bin/shardflow.js']);
});
