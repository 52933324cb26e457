// The best wall-time ratio against plain ffmpeg that a job's measured CPU
// allows: its CPU spread over every core with none idle, from start to end.
// A wall-time target below this floor cannot be met by scheduling on that
// machine; only doing less work can.
import { median } from './median';

/** One side-by-side pair: plain ffmpeg's wall time and the CPU the job spent. */
export interface CpuFloorPair {
  plainMs: number;
  jobCpuMs: number;
}

/** The floor of one pair: the job's CPU on `cores` cores, over plain ffmpeg's wall time. */
export function cpuFloorRatio(pair: CpuFloorPair, cores: number): number {
  return pair.jobCpuMs / Math.max(1, cores) / pair.plainMs;
}

/** The median pair's floor, with the spread; pairs are taken as measured, so a loaded pair moves the median least. */
export function medianCpuFloor(pairs: CpuFloorPair[], cores: number): { median: number; min: number; max: number } {
  if (pairs.length === 0) throw new Error('no pairs to take a CPU floor from');
  const floors = pairs.map((p) => cpuFloorRatio(p, cores));
  return { median: median(floors, (x) => x), min: Math.min(...floors), max: Math.max(...floors) };
}

/** A pipeline pair's whole CPU: its ffmpeg children, plus the worker and the dev server, measured once per clip. */
export function pipelineJobCpuMs(pair: { pipelineCpuMs: number }, clip: { workerCpuMs: number; serverCpuMs?: number }): number {
  return pair.pipelineCpuMs + clip.workerCpuMs + (clip.serverCpuMs ?? 0);
}
