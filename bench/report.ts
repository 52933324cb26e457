// What a scenario hands back, how it is printed and where it is written.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** Markdown, ready to print. */
  table: string;
  /** Observations worth reading next to the table (targets missed, loaded machine, ...). */
  notes: string[];
  /** Pass/fail checks; a failed one makes the run exit non-zero. */
  checks: Check[];
  data: Record<string, unknown>;
  elapsedMs: number;
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function fixed(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

export function signed(n: number | undefined, digits = 2): string {
  if (n === undefined || !Number.isFinite(n)) return 'n/a';
  return `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
}

export function seconds(ms: number | undefined, digits = 1): string {
  return ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(digits)} s`;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  ffmpeg: string;
  temporalAddress: string;
  commit: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(temporalAddress: string, repo: string): MachineInfo {
  const dirty = firstLine('git', ['-C', repo, 'status', '--porcelain', '--', 'src']) !== '' ? ' (src/ modified)' : '';
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    ffmpeg: firstLine('ffmpeg', ['-version']).replace(/ Copyright.*/, ''),
    temporalAddress,
    commit: firstLine('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']) + dirty,
    loadAverageStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function machineLine(m: Partial<MachineInfo>): string {
  const load = m.loadAverageStart ? `load average (1 min) at start ${m.loadAverageStart[0]}${m.loadAverageEnd ? ` → ${m.loadAverageEnd[0]}` : ''}` : undefined;
  return [
    `${m.cores} × ${m.cpu}${m.memoryGb ? `, ${m.memoryGb} GB RAM` : ''}${m.os ? `, ${m.os}` : ''}, Node ${m.node}${m.ffmpeg ? `, ${m.ffmpeg}` : ''}`,
    m.temporalAddress && `Temporal dev server at ${m.temporalAddress}`,
    m.commit && `commit ${m.commit}`,
    load,
  ].filter(Boolean).join('; ');
}

export function renderScenario(r: Pick<ScenarioResult, 'title' | 'table' | 'checks' | 'notes'> & { elapsedMs?: number }): string {
  const parts = [`### ${r.title}`, '', r.table];
  const lines = [
    ...r.checks.map((c) => `- ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`),
    ...r.notes.map((n) => `- ${n}`),
  ];
  if (lines.length) parts.push('', ...lines);
  if (r.elapsedMs !== undefined) parts.push('', `_(${(r.elapsedMs / 1000).toFixed(0)} s)_`);
  return parts.join('\n');
}

/** Writes `<scenario>.json` into `dir`: the numbers, the table as printed, and how and where they were measured. */
export async function writeResult(dir: string, r: ScenarioResult, machine: MachineInfo, command: string, when: Date): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const body = { scenario: r.name, title: r.title, ranAt: when.toISOString(), command, machine, checks: r.checks, notes: r.notes, elapsedMs: r.elapsedMs, table: r.table, data: r.data };
  await fs.writeFile(path.join(dir, `${r.name}.json`), `${JSON.stringify(body, null, 2)}\n`);
}

/** Writes every scenario's JSON and `report.md`, the tables as printed; returns the report's path. */
export async function writeResults(dir: string, results: ScenarioResult[], machine: MachineInfo, command: string, when: Date): Promise<string> {
  for (const r of results) await writeResult(dir, r, machine, command, when);
  const md = [
    `# shardflow bench: ${when.toISOString()}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machineLine(machine)}`,
    '',
    ...results.map((r) => `${renderScenario(r)}\n`),
  ].join('\n');
  const file = path.join(dir, 'report.md');
  await fs.writeFile(file, md);
  return file;
}
