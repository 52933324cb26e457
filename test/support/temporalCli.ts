// The plain Temporal CLI (the one bootstrap installed) run against a test
// environment's server and namespace.
import { execFile } from 'node:child_process';
import { findTemporalCli } from '../../src/devServer';
import type { TestEnv } from './testEnv';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export function temporalCli(env: TestEnv, args: string[]): Promise<CliOutcome> {
  const all = [...args, '--address', env.config.temporalAddress, '--namespace', env.config.namespace];
  return new Promise((resolve) => {
    execFile(findTemporalCli(), all, { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
