// Which picture each rung of a ladder is scaled from (src/media/rungScales.ts):
// the smallest rung already made that covers it on both sides, else the upright
// source, in whatever order the rungs are given; and the chains write every
// label once and read it once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rungRendition } from '../../src/core/job/streamPackage';
import { rungScales } from '../../src/media/rungScales';

const ladder = (...heights: number[]) => heights.map((h) => rungRendition(h));

/** Labels written by a chain (`[x]` after a filter) and read by one (`[x]` at the start). */
function labelUse(chains: string[]): { written: string[]; read: string[] } {
  const read = chains.map((c) => /^\[([^\]]+)\]/.exec(c)![1]);
  const written = chains.flatMap((c) => [...c.replace(/^\[[^\]]+\]/, '').matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]));
  return { written, read };
}

describe('rung scales down the ladder', () => {
  it('scales each rung of a 1080p ladder from the rung above it', () => {
    const s = rungScales('picked', { width: 1920, height: 1080, rotation: 0 }, ladder(1080, 720, 480, 360));
    assert.deepEqual(s.parents, [-1, 0, 1, 2]);
    assert.deepEqual(s.labels, ['rung0', 'rung1', 'rung2', 'rung3']);
    assert.equal(s.chains[0], '[picked]null[in0]');
    assert.equal(s.chains[1], '[in0]scale=1920:1080:flags=bicubic,setsar=1,split=2[rung0][in1]');
    assert.equal(s.chains[4], '[in3]scale=640:360:flags=bicubic,setsar=1[rung3]');
  });

  it('orders by size whatever order the rungs come in, and turns the source upright once', () => {
    const s = rungScales('picked', { width: 1920, height: 1080, rotation: 90 }, ladder(360, 1080, 720));
    assert.deepEqual(s.parents, [2, -1, 1]);
    assert.equal(s.chains[0], '[picked]transpose=clock[in1]');
    assert.ok(s.chains.includes('[in2]scale=720:1280:flags=bicubic,setsar=1,split=2[rung2][in0]'), s.chains.join(';'));
  });

  it('scales a rung from a same-sized one (a no-op scale) rather than from the source', () => {
    const twins = rungScales('picked', { width: 640, height: 360, rotation: 0 }, [rungRendition(360), rungRendition(360, 'h265')]);
    assert.deepEqual(twins.parents, [-1, 0]);
    // 720 lines of a 4:3 source is 960 wide, 480 lines 640 wide: covered on both sides.
    const fourThree = rungScales('picked', { width: 1280, height: 960, rotation: 0 }, ladder(720, 480));
    assert.deepEqual(fourThree.parents, [-1, 0]);
  });

  it('writes every label once and reads it once', () => {
    for (const heights of [[1080], [1080, 720, 480, 360], [240, 180, 120]]) {
      const s = rungScales('picked', { width: 1920, height: 1080, rotation: 0 }, ladder(...heights));
      const { written, read } = labelUse(s.chains);
      const ownBranches = s.labels;
      assert.deepEqual([...written].sort(), [...read.filter((l) => l !== 'picked'), ...ownBranches].sort(), heights.join(','));
      assert.equal(new Set(written).size, written.length, 'no label written twice');
    }
  });
});
