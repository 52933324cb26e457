// The prebuilt workflow bundle keeps the source map's positions and drops the sources' text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { WORKFLOW_BUNDLE_PATH, withoutSourcesContent } from '../../src/workflowBundle';

const PREFIX = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

function inlineMap(code: string): Record<string, unknown> {
  const at = code.lastIndexOf(PREFIX);
  assert.ok(at > 0, 'an inline source map');
  return JSON.parse(Buffer.from(code.slice(at + PREFIX.length), 'base64').toString()) as Record<string, unknown>;
}

describe('withoutSourcesContent', () => {
  it('keeps the code, mappings and sources, and drops the sources text', () => {
    const map = { version: 3, file: 'b.js', sources: ['a.ts'], sourcesContent: ['const a = 1;'], names: [], mappings: 'AAAA' };
    const code = `var a = 1;\n${PREFIX}${Buffer.from(JSON.stringify(map)).toString('base64')}`;
    const slim = withoutSourcesContent(code);
    assert.ok(slim.startsWith('var a = 1;\n'));
    const { sourcesContent, ...kept } = map;
    assert.equal(sourcesContent.length, 1);
    assert.deepEqual(inlineMap(slim), kept);
  });

  it('refuses a bundle without an inline source map, which the SDK could not load', () => {
    assert.throws(() => withoutSourcesContent('var a = 1;\n'), /no inline source map/);
  });

  it('is what the build wrote', () => {
    const map = inlineMap(readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8'));
    assert.equal(map.sourcesContent, undefined);
    assert.ok(typeof map.mappings === 'string' && map.mappings.length > 0);
  });
});
