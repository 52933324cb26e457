// Scenario 6: the model of a 1-hour job on 1 to 1,000 workers (bench/simulate.ts),
// fed with this run's pipeline and orchestration results, or the newest stored ones.
import type { BenchContext } from '../context';
import type { ScenarioResult } from '../report';
import { latestResults } from '../results';
import { dispatchPerShard, simulate } from '../simulate';
import { pipelineClipsOf } from '../summary';
import type { ClipResult } from './pipeline';

export async function simulateScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now();
  const stored = latestResults(ctx.repo);
  const fresh = ctx.shared.get('pipeline-clips') as ClipResult[] | undefined;
  const freshDispatch = ctx.shared.get('dispatch-per-shard-ms') as number | undefined;
  const pipeline = stored.get('pipeline');
  if (!fresh && !pipeline) throw new Error('the model needs the pipeline scenario: run it in the same run, or keep a stored result in bench/results/<date>/');
  const sources = [
    fresh ? 'this run (pipeline)' : `\`${pipeline!.folder}\` (pipeline)`,
    freshDispatch !== undefined ? 'this run (orchestration)' : stored.get('orchestration') ? `\`${stored.get('orchestration')!.folder}\` (orchestration)` : undefined,
  ].filter(Boolean).join(', ');
  const result = simulate(fresh ?? pipelineClipsOf(pipeline!.data), freshDispatch ?? dispatchPerShard(stored.get('orchestration')), sources);
  return { ...result, elapsedMs: performance.now() - t0 };
}
