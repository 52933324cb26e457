// The CPU floor the bench reports beside each wall-time target: a job's CPU
// spread over every core, against plain ffmpeg's wall time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuFloorRatio, medianCpuFloor } from '../../bench/cpuFloor';

describe('cpuFloorRatio', () => {
  it('is the job CPU over the cores, over plain ffmpeg wall time', () => {
    // 90 s of CPU on 2 cores takes at least 45 s; plain ffmpeg took 45 s.
    assert.equal(cpuFloorRatio({ plainMs: 45_000, jobCpuMs: 90_000 }, 2), 1);
    assert.equal(cpuFloorRatio({ plainMs: 45_000, jobCpuMs: 90_000 }, 4), 0.5);
    assert.equal(cpuFloorRatio({ plainMs: 10_000, jobCpuMs: 9_000 }, 1), 0.9);
  });

  it('takes the median pair and reports the spread', () => {
    const pairs = [
      { plainMs: 10_000, jobCpuMs: 30_000 },
      { plainMs: 10_000, jobCpuMs: 20_000 },
      { plainMs: 10_000, jobCpuMs: 22_000 },
    ];
    assert.deepEqual(medianCpuFloor(pairs, 2), { median: 1.1, min: 1, max: 1.5 });
    // An even count takes the lower middle, as every other median in the bench does.
    assert.equal(medianCpuFloor(pairs.slice(0, 2), 2).median, 1);
  });

  it('refuses an empty set of pairs', () => {
    assert.throws(() => medianCpuFloor([], 2), /no pairs/);
  });
});
