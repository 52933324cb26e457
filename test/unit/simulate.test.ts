// The model's serial stages: verify's seam windows are paid once per seam.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fitLinear, predict, serialStagesMs, type StageCosts } from '../../bench/simulate';

const zero = { fixedMs: 0, perSecondMs: 0 };
const costs: StageCosts = {
  serial: { prepare: zero, probe: { fixedMs: 100, perSecondMs: 10 }, split: zero, merge: { fixedMs: 0, perSecondMs: 5 }, verify: { fixedMs: 800, perSecondMs: 2 }, publish: zero, clean: zero },
  encodePerSecondMs: 1000,
  audio: zero,
  handOffPerShardMs: 0,
  handOffPerJobMs: 0,
  dispatchPerShardMs: 0,
  plainPerSecondMs: 500,
  // Keyframes every 0.2 s: seams are sought one by one at any shard length here, so verify spreads them.
  gopSeconds: 0.2,
};

it('counts verify once per seam, its parts side by side on the workers, and every other stage once per job', () => {
  // 100 s: probe 100 + 1000, merge 500, verify 200 per source second plus 800 per seam.
  assert.equal(serialStagesMs(costs, 100, 1, 1), 1800);
  assert.equal(serialStagesMs(costs, 100, 2, 1), 2600);
  // 49 seams in parts of 16, 16, 16 and 1: one worker compares them all, two the longest two parts, four one.
  assert.equal(serialStagesMs(costs, 100, 50, 1), 1800 + 49 * 800);
  assert.equal(serialStagesMs(costs, 100, 50, 2), 1800 + 32 * 800);
  assert.equal(serialStagesMs(costs, 100, 50, 4), 1800 + 16 * 800);
  // With 2 s GOPs, 2 s shards are compared in one pass from the start, in one task whatever the workers.
  assert.equal(serialStagesMs({ ...costs, gopSeconds: 2 }, 100, 50, 4), 1800 + 49 * 800);
});

it('charges shorter shards more serial time for their extra seams, spread over the workers', () => {
  const short = predict(costs, 3600, 1000, 2);
  const long = predict(costs, 3600, 1000, 20);
  // 1,799 seams in 32 parts of 57 against 179 in 12 of 16, each part on a worker of its own.
  assert.equal(short.serialMs - long.serialMs, (57 - 16) * 800);
  assert.ok(short.parallelMs < long.parallelMs);
});

it('fits each stage with neither part negative, taking the closer edge line when the free fit has one', () => {
  const free = fitLinear([{ seconds: 10, ms: 1100 }, { seconds: 30, ms: 1300 }, { seconds: 60, ms: 1600 }]);
  assert.ok(Math.abs(free.fixedMs - 1000) < 1e-6 && Math.abs(free.perSecondMs - 10) < 1e-9, JSON.stringify(free));
  // Falling with length is noise around a constant: flat at the mean, not a line through the origin 3 times the 10 s point at 60 s.
  const falling = fitLinear([{ seconds: 10, ms: 1263 }, { seconds: 30, ms: 2293 }, { seconds: 60, ms: 1355 }]);
  assert.equal(falling.perSecondMs, 0);
  assert.ok(Math.abs(falling.fixedMs - 1637) < 1);
  // Growing faster than length: through the origin.
  const growing = fitLinear([{ seconds: 10, ms: 100 }, { seconds: 20, ms: 400 }]);
  assert.equal(growing.fixedMs, 0);
  assert.ok(growing.perSecondMs > 15);
});
