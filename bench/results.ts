// Where results live. A full run writes bench/results/<YYYY-MM-DD-HHMM>/ (UTC
// start time); those folders are committed when curated, and the published
// tables read the newest of them for each scenario. Quick and partial runs
// write bench/results/quick/ and bench/results/partial/, which git ignores.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Check, MachineInfo } from './report';

export type RunKind = 'full' | 'quick' | 'partial';

const DATED = /^\d{4}-\d{2}-\d{2}-\d{4}$/;

export function resultsRoot(repo: string): string {
  return path.join(repo, 'bench', 'results');
}

/** `2026-11-27-0551` for a run started at 2026-11-27T05:51Z. */
export function runFolderName(started: Date): string {
  const iso = started.toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

export function runFolder(repo: string, kind: RunKind, started: Date): string {
  return path.join(resultsRoot(repo), kind === 'full' ? runFolderName(started) : kind);
}

/** One scenario's result file, as writeResults stores it. */
export interface StoredResult {
  scenario: string;
  title: string;
  ranAt: string;
  command: string;
  machine: MachineInfo;
  checks: Check[];
  notes: string[];
  /** Absent in results written before it was recorded. */
  elapsedMs?: number;
  /** The scenario's table(s) in Markdown, as the run printed them. */
  table: string;
  /** Each scenario's own shape; summary.ts reads what it publishes. */
  data: unknown;
  /** The run folder, relative to the repository. */
  folder: string;
}

/** The newest dated result of every scenario, by scenario name. */
export function latestResults(repo: string): Map<string, StoredResult> {
  const root = resultsRoot(repo);
  const folders = existsSync(root) ? readdirSync(root).filter((f) => DATED.test(f)).sort() : [];
  const latest = new Map<string, StoredResult>();
  for (const folder of folders) {
    for (const file of readdirSync(path.join(root, folder)).filter((f) => f.endsWith('.json'))) {
      const stored = JSON.parse(readFileSync(path.join(root, folder, file), 'utf8')) as StoredResult;
      latest.set(stored.scenario, { ...stored, folder: path.relative(repo, path.join(root, folder)) });
    }
  }
  return latest;
}
