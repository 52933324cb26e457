// Parsing the job options that several commands share.
import type { RenditionRequest } from '../core/job/jobInput';
import { PRESET_NAMES } from '../core/job/presets';
import { CliError, ExitCode } from './exitCodes';

export const RENDITION_HELP = `preset (${PRESET_NAMES.join(', ')}) or a JSON spec; repeatable`;

/** Collects a repeatable option. */
export function collect(value: string, all: string[]): string[] {
  return [...all, value];
}

/** A rendition is a preset name or an inline JSON spec. */
export function parseRendition(arg: string): RenditionRequest {
  if (!arg.trim().startsWith('{')) return arg;
  try {
    return JSON.parse(arg) as RenditionRequest;
  } catch {
    throw new CliError(`--rendition ${arg} is neither a preset name nor valid JSON`, ExitCode.Usage);
  }
}

export function parseSeconds(arg: string | undefined, option = '--segment-seconds'): number | undefined {
  if (arg === undefined) return undefined;
  const n = Number(arg);
  if (!Number.isFinite(n)) throw new CliError(`${option} must be a number, got ${JSON.stringify(arg)}`, ExitCode.Usage);
  return n;
}
