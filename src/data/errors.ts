/**
 * Errors and problems of the data layer. Every message names the file (and line, when there is one)
 * and what is wrong, so a researcher can fix the file without reading code.
 */

export type ProblemKind = 'image' | 'landmarks' | 'dataset';

/**
 * Something wrong with one file of a batch. Batch loaders collect these instead of throwing, so one
 * bad file does not stop the other 399.
 */
export interface DataProblem {
  kind: ProblemKind;
  /** The file at fault. */
  path: string;
  /** What is wrong, without the path (the path is in `path`). */
  message: string;
  /** 1-based line, for text formats. */
  line?: number;
  /** Dataset item concerned, when known. */
  itemId?: string;
}

/** A data-layer error: `message` is `<path>[:<line>]: <reason>`. */
export class DataError extends Error {
  readonly path: string;
  readonly reason: string;
  readonly line?: number;
  readonly kind: ProblemKind;

  constructor(
    path: string,
    reason: string,
    opts: { line?: number; kind?: ProblemKind; cause?: unknown } = {},
  ) {
    super(`${path}${opts.line !== undefined ? `:${opts.line}` : ''}: ${reason}`, { cause: opts.cause });
    this.name = 'DataError';
    this.path = path;
    this.reason = reason;
    this.line = opts.line;
    this.kind = opts.kind ?? 'image';
  }

  toProblem(itemId?: string): DataProblem {
    return problem(this.kind, this.path, this.reason, { line: this.line, itemId });
  }
}

export function problem(
  kind: ProblemKind,
  path: string,
  message: string,
  extra: { line?: number; itemId?: string } = {},
): DataProblem {
  const p: DataProblem = { kind, path, message };
  if (extra.line !== undefined) p.line = extra.line;
  if (extra.itemId !== undefined) p.itemId = extra.itemId;
  return p;
}

/** Turn anything thrown while handling `path` into a problem (DataErrors keep their own path/reason). */
export function toProblem(err: unknown, kind: ProblemKind, path: string, itemId?: string): DataProblem {
  if (err instanceof DataError) return err.toProblem(itemId);
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && e.code === 'ENOENT')
    return problem(kind, path, 'file not found', { itemId });
  const msg = err instanceof Error ? err.message : String(err);
  return problem(kind, path, msg, { itemId });
}

/**
 * The DataError for a file that could not be opened or read. A missing file gets its own short
 * reason because it is by far the usual case and the system message adds nothing to it.
 */
export function unreadableFileError(path: string, err: unknown, kind: ProblemKind = 'image'): DataError {
  return new DataError(
    path,
    (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'file not found'
      : `cannot read: ${(err as Error).message}`,
    { kind, cause: err },
  );
}

/** One line per problem: `path:line: message`. */
export function formatProblem(p: DataProblem): string {
  return `${p.path}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`;
}

/** A DataError that lists several problems (strict readers throw it when a lenient read found any). */
export function problemsError(path: string, problems: DataProblem[], kind: ProblemKind): DataError {
  const first = problems[0];
  if (problems.length === 1 && first)
    return new DataError(first.path, first.message, { line: first.line, kind });
  return new DataError(path, `${problems.length} problems:\n  ${problems.map(formatProblem).join('\n  ')}`, {
    kind,
  });
}
