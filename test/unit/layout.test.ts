// The layout rules that keep workflow code safe: lint refuses Node and non-core
// imports in src/workflows and src/core, and no two folders of src import each other.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
// A real dynamic import: the compiled CommonJS would turn `import()` into require(), which cannot load ESM here.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;

async function lintAs(file: string, text: string): Promise<string[]> {
  const { ESLint } = (await importEsm('eslint')) as { ESLint: new (o: object) => { lintText(t: string, o: object): Promise<{ messages: { ruleId: string | null; message: string }[] }[]> } };
  const tseslint = (await importEsm('typescript-eslint')) as { default: { parser: unknown } };
  const rule = (await importEsm(path.join(ROOT, 'lint/workflowBoundary.mjs'))).default;
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.default.parser },
        plugins: { shardflow: { rules: { 'workflow-boundary': rule } } },
        rules: { 'shardflow/workflow-boundary': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintText(text, { filePath: path.join(ROOT, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test('the project lint config applies the workflow boundary to workflows and core', async () => {
  const { ESLint } = (await importEsm('eslint')) as { ESLint: new (o: object) => { calculateConfigForFile(f: string): Promise<{ rules: Record<string, unknown[]> }> } };
  const eslint = new ESLint({ cwd: ROOT });
  for (const file of ['src/workflows/transcodeVideo.ts', 'src/core/names.ts']) {
    const config = await eslint.calculateConfigForFile(path.join(ROOT, file));
    assert.equal(config.rules['shardflow/workflow-boundary']?.[0], 2, file);
  }
});

test('a Node built-in imported by a workflow file fails lint', async () => {
  const messages = await lintAs('src/workflows/example.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
  assert.equal(messages.length, 1);
  assert.match(messages[0], /Node built-in "node:fs"/);
  assert.equal((await lintAs('src/workflows/example.ts', "import * as fs from 'fs';\nexport const f = fs;\n")).length, 1);
});

test('workflow and core files may import only core (workflows also their own folder)', async () => {
  assert.match((await lintAs('src/workflows/example.ts', "import { Stores } from '../storage/stores';\nexport const s = Stores;\n"))[0], /outside src\/core/);
  assert.match((await lintAs('src/core/example.ts', "import { workArea } from '../activities/workArea';\nexport const w = workArea;\n"))[0], /outside src\/core/);
  assert.match((await lintAs('src/core/job/example.ts', "import type { Client } from '@temporalio/client';\nexport type C = Client;\n"))[0], /not workflow-safe/);
  assert.deepEqual(await lintAs('src/workflows/example.ts', "import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors';\nimport { mediaOptions } from './activityOptions';\nexport const x = [NON_RETRYABLE_ERROR_TYPES, mediaOptions];\n"), []);
  assert.deepEqual(await lintAs('src/activities/example.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n"), []);
});

/** Folder (or top-level file) of src that a path belongs to. */
function unitOf(file: string): string {
  const rel = path.relative(path.join(ROOT, 'src'), file).split(path.sep);
  return rel.length === 1 ? rel[0].replace(/\.ts$/, '') : rel[0];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

test('no two folders of src import each other, directly or through others', () => {
  const edges = new Map<string, Set<string>>();
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    const from = unitOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const to = unitOf(path.resolve(path.dirname(file), m[1]));
      if (to !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
    }
  }
  const cycles: string[] = [];
  const walk = (node: string, trail: string[]): void => {
    if (trail.includes(node)) {
      cycles.push([...trail.slice(trail.indexOf(node)), node].join(' → '));
      return;
    }
    for (const next of edges.get(node) ?? []) walk(next, [...trail, node]);
  };
  for (const node of edges.keys()) walk(node, []);
  assert.deepEqual(cycles, []);
  assert.ok(edges.get('activities')?.has('core'), 'the scan sees imports');
});
