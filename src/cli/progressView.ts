// Shows job progress: live bars per rendition on a terminal, a line per
// change in logs and CI.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { JobProgress } from '../core/job/progress';
import { failedTaskName } from '../core/job/repair';

export interface ProgressView {
  update(p: JobProgress): void;
  stop(): void;
}

/** Bars on a terminal; lines elsewhere, and always with `lines` (--json keeps stdout for its one document). */
export function createProgressView(stream: NodeJS.WriteStream = process.stderr, lines = false): ProgressView {
  return stream.isTTY && !lines ? new BarView(stream) : new LineView(stream);
}

class BarView implements ProgressView {
  private readonly multi: MultiBar;
  private readonly bars = new Map<string, SingleBar>();

  constructor(stream: NodeJS.WriteStream) {
    this.multi = new MultiBar(
      { stream, clearOnComplete: false, hideCursor: true, format: ' {label} |{bar}| {value}/{total} {unit}' },
      Presets.shades_classic,
    );
  }

  update(p: JobProgress): void {
    this.bar('job', `job ${p.phase.padEnd(11)}`, 100).update(Math.floor(p.percent), { unit: '%' });
    for (const [name, r] of Object.entries(p.renditions)) {
      const bar = this.bar(name, name.padEnd(15).slice(0, 15), r.total);
      bar.setTotal(r.total);
      bar.update(r.done, { unit: r.failed > 0 ? `shards, ${r.failed} failed` : 'shards' });
    }
  }

  private bar(key: string, label: string, total: number): SingleBar {
    let bar = this.bars.get(key);
    if (!bar) {
      bar = this.multi.create(total, 0, { label, unit: '' });
      this.bars.set(key, bar);
    }
    return bar;
  }

  stop(): void {
    this.multi.stop();
  }
}

class LineView implements ProgressView {
  private last = '';
  private lastPercent = -100;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(p: JobProgress): void {
    if (p.phase === this.last && p.percent - this.lastPercent < 10) return;
    this.last = p.phase;
    this.lastPercent = p.percent;
    const shards = Object.entries(p.renditions)
      .map(([name, r]) => `${name} ${r.done}/${r.total}`)
      .join(', ');
    this.stream.write(`${p.phase} ${p.percent.toFixed(0)}%${shards ? ` (${shards})` : ''}\n`);
    // A job waiting for a repair says why, or a --wait would sit there in silence until the deadline.
    if (p.phase === 'awaiting-repair') {
      for (const f of p.failedShards ?? []) this.stream.write(`  ${failedTaskName(f)}: ${f.attempts} attempt(s), last error: ${f.error}\n`);
      if (p.repairDeadline) this.stream.write(`  repair with \`shardflow retry ${p.jobId}\` or give up with \`shardflow abandon ${p.jobId}\` before ${p.repairDeadline}\n`);
    }
  }

  stop(): void {}
}
