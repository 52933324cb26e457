// `npm run bench [-- --quick] [-- --only pipeline,quality] [-- --keep]`
//
// Runs the scenarios against the Temporal server at TEMPORAL_ADDRESS, prints
// the tables and writes <scenario>.json and report.md: a full run to
// bench/results/<YYYY-MM-DD-HHMM>/, then the docs' generated tables from it;
// --quick to bench/results/quick/, --only to bench/results/partial/ (both
// git-ignored). Exits non-zero when a quality check fails. Timings are
// findings, never failures.
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config';
import { connectClient, ensureSearchAttributes, ServerUnreachableError } from '../src/temporalConnection';
import { createPipelineWorkers, type BenchContext } from './context';
import type { BenchWorkers } from './harness';
import { publishResults } from './publish';
import { machineInfo, machineLine, renderScenario, writeResults, type ScenarioResult } from './report';
import { runFolder } from './results';
import { distributedMapScenario } from './scenarios/distributedMap';
import { ladderScenario } from './scenarios/ladder';
import { memoryScenario } from './scenarios/memory';
import { orchestrationScenario } from './scenarios/orchestration';
import { pipelineScenario } from './scenarios/pipeline';
import { qualityScenario } from './scenarios/quality';
import { scalingScenario } from './scenarios/scaling';
import { simulateScenario } from './scenarios/simulate';

const SCENARIOS: Record<string, { run: (ctx: BenchContext) => Promise<ScenarioResult>; quick: boolean }> = {
  pipeline: { run: pipelineScenario, quick: true },
  orchestration: { run: orchestrationScenario, quick: true },
  quality: { run: qualityScenario, quick: true },
  scaling: { run: scalingScenario, quick: false },
  // A 4-rung HLS ladder of the 60 s clip, three ways: minutes of encoding, so full runs only.
  ladder: { run: ladderScenario, quick: false },
  // Needs a 2 GiB source: full runs only.
  memory: { run: memoryScenario, quick: false },
  // Runs nothing: models a long job from the pipeline's (and orchestration's) results.
  simulate: { run: simulateScenario, quick: true },
  // A distributed Map of 100,000 and 600,000 items: many minutes, so full runs only (`--quick --only distributedMap`: 20,000).
  distributedMap: { run: distributedMapScenario, quick: false },
};

interface Args {
  quick: boolean;
  /** Write a partial run (--only) to a dated folder, so the docs publish its scenarios. */
  publish: boolean;
  keep: boolean;
  repeat: number;
  externalWorkers: boolean;
  /** Folder for clips and scratch that every worker machine sees at the same path. */
  shared?: string;
  only?: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, publish: false, keep: false, repeat: 1, externalWorkers: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--publish') args.publish = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--external-workers') args.externalWorkers = true;
    else if (a === '--shared' || a.startsWith('--shared=')) {
      args.shared = path.resolve(a === '--shared' ? argv[++i] ?? '' : a.slice('--shared='.length));
    }
    else if (a === '--repeat' || a.startsWith('--repeat=')) {
      args.repeat = Number(a === '--repeat' ? argv[++i] : a.slice('--repeat='.length));
      if (!Number.isInteger(args.repeat) || args.repeat < 1) usage('--repeat takes a whole number of at least 1');
    }
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = a === '--only' ? argv[++i] : a.slice('--only='.length);
      args.only = (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = args.only.filter((s) => !(s in SCENARIOS));
      if (unknown.length) usage(`unknown scenario ${unknown.join(', ')}`);
    } else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  return args;
}

function usage(problem?: string): never {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write(
    `usage: npm run bench -- [--quick] [--only ${Object.keys(SCENARIOS).join(',')}] [--repeat N] [--keep] [--external-workers] [--shared DIR]\n` +
      '  --quick  smoke run in under 2 minutes: small clip, fewer sizes; checks quality, asserts no timing\n' +
      '  --only   run only these scenarios (memory and scaling run only when named or in a full run)\n' +
      '  --publish  with --only: write a dated folder like a full run, so the docs take these scenarios from it\n' +
      '  --repeat plain/shardflow pairs in the pipeline scenario (rounds in the ladder scenario), in alternating order (default 1)\n' +
      '  --keep   keep the scratch files under bench/results/tmp/\n' +
      '  --external-workers  scaling: start no workers, run the job on SHARDFLOW_TASK_QUEUE/SHARDFLOW_MEDIA_TASK_QUEUE\n' +
      '           and report which worker (pid@host) ran each shard; see bench/README.md\n' +
      '  --shared DIR  put clips and scratch in DIR, a folder every worker machine mounts at the same path\n',
  );
  process.exit(problem ? 2 : 0);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const repo = path.resolve(__dirname, '../..');
  const started = new Date();
  const t0 = performance.now();
  const log = (m: string): void => {
    process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);
  };
  if (args.externalWorkers && (args.only?.join() ?? '') !== 'scaling') usage('--external-workers goes with --only scaling');
  if (args.publish && (args.quick || !args.only)) usage('--publish goes with --only, not with --quick (a full run publishes anyway)');
  const names = args.only ?? Object.keys(SCENARIOS).filter((n) => !args.quick || SCENARIOS[n].quick);

  const config = loadConfig();
  let client;
  try {
    client = await connectClient(config);
  } catch (err) {
    if (err instanceof ServerUnreachableError) {
      process.stderr.write(
        `bench: ${err.message}\n` +
          '  Start one in the background with: npx shardflow server start   (listens on TEMPORAL_ADDRESS)\n' +
          '  or by hand: temporal server start-dev --ip 127.0.0.1 --port 7233 --headless \\\n' +
          '      --search-attribute ShardflowPhase=Keyword --search-attribute ShardflowSource=Keyword\n' +
          '  then run the bench again (with TEMPORAL_ADDRESS=host:port for another address).\n',
      );
      return 2;
    }
    throw err;
  }
  await ensureSearchAttributes(client, config.namespace);

  const tmpRoot = args.shared ?? path.join(repo, 'bench', 'results', 'tmp');
  const tmp = path.join(tmpRoot, `run-${started.toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  await fs.mkdir(tmp, { recursive: true });
  const machine = machineInfo(config.temporalAddress, repo);
  log(`machine: ${machineLine(machine)}`);
  log(`scenarios: ${names.join(', ')}${args.quick ? ' (quick)' : ''}; scratch ${tmp}`);

  let pipelineWorkers: Promise<BenchWorkers> | undefined;
  const base = { quick: args.quick, repeat: args.repeat, externalWorkers: args.externalWorkers, repo, tmp, clips: path.join(tmpRoot, 'clips'), client, temporalAddress: config.temporalAddress, shared: new Map(), log };
  const ctx: BenchContext = {
    ...base,
    pipelineWorkers: () => (pipelineWorkers ??= createPipelineWorkers(base)),
  };

  const results: ScenarioResult[] = [];
  try {
    for (const name of names) {
      log(`scenario ${name}`);
      const s0 = performance.now();
      try {
        const r = await SCENARIOS[name].run(ctx);
        results.push(r);
        process.stdout.write(`\n${renderScenario(r)}\n\n`);
      } catch (err) {
        // One scenario failing to run must not hide the others' results.
        const message = (err as Error).stack ?? String(err);
        log(`scenario ${name} failed: ${message}`);
        results.push({
          name, title: `${name} (did not run to the end)`, table: '', notes: [], data: { error: message },
          checks: [{ name: `${name} runs`, ok: false, detail: (err as Error).message }], elapsedMs: performance.now() - s0,
        });
      }
    }
  } finally {
    if (pipelineWorkers) await (await pipelineWorkers).close();
    await client.connection.close();
  }

  machine.loadAverageEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  // Only a full run is a candidate for the published tables; quick and partial ones stay out of git.
  const kind = args.quick ? 'quick' : args.only && !args.publish ? 'partial' : 'full';
  const file = await writeResults(runFolder(repo, kind, started), results, machine, command, started);
  if (!args.keep) await fs.rm(tmp, { recursive: true, force: true });
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok));
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s; results in ${path.relative(repo, file)}${failed.length ? `; ${failed.length} check(s) FAILED` : ''}`);
  if (kind === 'full') {
    const changed = await publishResults(repo);
    log(`updated ${changed.join(', ') || 'nothing'}; commit ${path.relative(repo, path.dirname(file))}/ with them if this run is the one to publish`);
  }
  if (!existsSync(file)) return 1;
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
