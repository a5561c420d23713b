/**
 * How the CLI fails: one line that names the file and the problem, a non-zero exit code, and the
 * stack only with --verbose (a researcher needs the file to fix, not our call chain).
 */

/** An error meant for the user as is; `exitCode` lets a command distinguish kinds of failure. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Errors whose message is already a complete "file: problem" sentence. */
const USER_ERRORS = new Set([
  'CliError',
  'DataError',
  'EvaluationInputError',
  'SafetensorsError',
  // src/cluster: sbatch/scancel's own message, or what to do about the run's jobs or devices.
  'ClusterError',
]);

export function isUserError(err: unknown): boolean {
  return err instanceof Error && USER_ERRORS.has(err.name);
}

/** The line printed for an error (and the stack, when verbose). */
export function formatCliError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return `onemark: error: ${String(err)}`;
  const code = (err as NodeJS.ErrnoException).code;
  const path = (err as NodeJS.ErrnoException).path;
  let line: string;
  if (code === 'ENOENT' && path) line = `${path}: no such file or directory`;
  else if (code === 'EACCES' && path) line = `${path}: permission denied`;
  else if (code === 'EISDIR' && path) line = `${path}: is a folder, expected a file`;
  else line = err.message.split('\n')[0] ?? err.message;
  // Multi-line messages (a list of problems) keep their detail lines.
  const rest = err.message.includes('\n') && !code ? err.message.slice(err.message.indexOf('\n')) : '';
  let out = `onemark: error: ${line}${rest}`;
  if (verbose && err.stack) out += `\n${err.stack}`;
  else if (!isUserError(err) && !code) out += '\n(run with --verbose for details)';
  return out;
}

export function exitCodeOf(err: unknown): number {
  return err instanceof CliError ? err.exitCode : 1;
}
