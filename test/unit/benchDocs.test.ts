// The benchmark numbers in the docs come from bench/results/ and nowhere else:
// the generated blocks must be exactly what `npm run bench:report` makes of
// the committed results, so a number edited by hand, or a result committed
// without regenerating the docs, fails here.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { renderDocs, replaceBlock } from '../../bench/publish';
import { latestResults } from '../../bench/results';
import { headline } from '../../bench/summary';

const REPO = path.resolve(__dirname, '../../..');

describe('generated benchmark tables', () => {
  it('match the committed results in README.md, bench/README.md and docs/benchmarks.md', async () => {
    for (const doc of await renderDocs(REPO)) {
      assert.equal(doc.before, doc.after, `${doc.file} differs from bench/results/; run npm run bench:report`);
    }
  });

  it('come from the newest dated run of each scenario, and change with its data', () => {
    const latest = latestResults(REPO);
    const pipeline = latest.get('pipeline');
    assert.ok(pipeline, 'a committed pipeline result');
    assert.match(pipeline.folder, /^bench\/results\/\d{4}-\d{2}-\d{2}-\d{4}$/);
    type Clip = { ratio: number; pairs: { plainMs: number; pipelineMs: number }[] };
    const bump = (c: Clip): Clip => ({ ...c, ratio: 9.876, pairs: [...c.pairs, { plainMs: 1000, pipelineMs: 9876 }] });
    // Results hold one clip's numbers at the top level (older runs) or one entry per clip.
    const data = pipeline.data as Clip | { clips: Clip[] };
    const bumped = 'clips' in data ? { ...data, clips: [...data.clips.slice(0, -1), bump(data.clips[data.clips.length - 1])] } : bump(data);
    const edited = new Map(latest).set('pipeline', { ...pipeline, data: bumped });
    assert.doesNotMatch(headline(latest), /9\.876/);
    assert.match(headline(edited), /\| 9\.876 \(median of \d+ pairs/);
  });

  it('carry the ladder scenario: the streaming ladder against the one-command ladder, with its target', () => {
    const latest = latestResults(REPO);
    const ladder = latest.get('ladder');
    assert.ok(ladder, 'a committed ladder result');
    assert.match(headline(latest), /\| wall time, streaming \d-rung HLS ladder \/ plain ffmpeg's one-command ladder, .* \| ≤ 0\.9 \|/);
    const edited = new Map(latest).set('ladder', { ...ladder, data: { ...(ladder.data as object), ratio: 9.876 } });
    assert.doesNotMatch(headline(latest), /9\.876/);
    assert.match(headline(edited), /\| 9\.876 \((median of \d+ rounds|one round)/);
  });
});

describe('replaceBlock', () => {
  it('replaces only the text between the markers', () => {
    const text = 'a\n<!-- bench:headline -->\nold\n<!-- /bench:headline -->\nb\n';
    assert.equal(replaceBlock(text, 'headline', 'new', 'x.md'), 'a\n<!-- bench:headline -->\nnew\n<!-- /bench:headline -->\nb\n');
  });

  it('refuses a file without the block, naming the file', () => {
    assert.throws(() => replaceBlock('no markers', 'details', 'x', 'docs/x.md'), /docs\/x\.md has no <!-- bench:details -->/);
  });
});
