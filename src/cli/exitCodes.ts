// Exit codes scripts can rely on.
export const ExitCode = {
  Ok: 0,
  /** The job failed or was cancelled. */
  JobFailed: 1,
  /** Bad arguments or job input. */
  Usage: 2,
  /** No Temporal server answers. */
  ServerUnreachable: 3,
  /** No such job. */
  NotFound: 4,
  /** The job refused the request (for example a retry while it is not awaiting repair). */
  Refused: 5,
} as const;

/** An error whose message is the whole story for the user: printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
