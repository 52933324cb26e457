// Wraps every command: errors become one line on stderr (JSON with --json) and an exit code.
import { describeFailure } from './failureReport';

export function commandAction<A extends unknown[]>(run: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    const json = args.some((a) => typeof a === 'object' && a !== null && (a as { json?: boolean }).json === true);
    try {
      const code = await run(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      const { message, exitCode } = describeFailure(err);
      if (json) process.stdout.write(`${JSON.stringify({ error: message, exitCode })}\n`);
      else process.stderr.write(`shardflow: ${message}\n`);
      if (process.env.SHARDFLOW_VERBOSE && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = exitCode;
    }
  };
}
