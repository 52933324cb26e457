// The check's table: one row per file, then what went wrong under each file
// that did not pass.
import * as path from 'node:path';
import type { AudioSummary, CheckOutcome, FileCheck } from './checkFile';

const HEADER = ['file', 'result', 'frames out/ref', 'min PSNR dB out/ref', 'audio out/ref', 'fps out', 'time s pipeline/ref'];

function psnr(p: { min: number; worst: number } | undefined): string {
  return p ? `${p.min.toFixed(1)}@${p.worst}` : '-';
}

function audio(a: AudioSummary[]): string {
  if (a.length === 0) return 'none';
  return a.map((s) => `${s.channels}ch ${Number.isFinite(s.seconds) ? s.seconds.toFixed(2) : '?'}s`).join('+');
}

function seconds(n: number | undefined): string {
  return n === undefined ? '-' : n.toFixed(1);
}

function row(c: FileCheck): string[] {
  const video = c.frames.ref !== undefined || c.frames.out !== undefined;
  return [
    path.basename(c.file),
    c.outcome,
    video ? `${c.frames.out ?? '-'}/${c.frames.ref ?? '-'}` : '-',
    c.psnr.out || c.psnr.ref ? `${psnr(c.psnr.out)} / ${psnr(c.psnr.ref)}` : '-',
    c.decodable ? `${c.failure ? '-' : audio(c.audio.out)} / ${audio(c.audio.ref)}` : '-',
    c.fps.out ?? '-',
    `${seconds(c.seconds.pipeline)}/${seconds(c.seconds.reference)}`,
  ];
}

export function formatTable(checks: FileCheck[]): string {
  const rows = [HEADER, ...checks.map(row)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  const out: string[] = [line(HEADER)];
  for (const c of checks) {
    out.push(line(row(c)));
    for (const reason of c.reasons) out.push(`    ${reason}`);
    for (const note of c.notes) out.push(`    note: ${note}`);
  }
  return `${out.join('\n')}\n`;
}

export function countOutcomes(checks: FileCheck[]): Record<CheckOutcome, number> {
  const counts: Record<CheckOutcome, number> = { ok: 0, mismatch: 0, 'failed-as-expected': 0, failed: 0 };
  for (const c of checks) counts[c.outcome]++;
  return counts;
}

export function summaryLine(checks: FileCheck[]): string {
  const n = countOutcomes(checks);
  const passed = n.ok + n['failed-as-expected'];
  return `${checks.length} file(s): ${n.ok} ok, ${n.mismatch} mismatch, ${n['failed-as-expected']} failed as expected, ${n.failed} failed; ${passed === checks.length ? 'all pass' : `${checks.length - passed} do not pass`}\n`;
}

export function passed(c: FileCheck): boolean {
  return c.outcome === 'ok' || c.outcome === 'failed-as-expected';
}
