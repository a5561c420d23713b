/**
 * Revision numbers for files a client replaces whole (annotations.json, the project's content):
 * each write adds one, the client sends back the revision it loaded, and a write based on an older
 * one is refused instead of overwriting what another tab or window saved in between. A write that
 * names no revision is still accepted (older clients, scripts); it is serialised by the project
 * lock, so it never tears a file, but it may replace a newer one.
 */
import { ApiInputError, StaleWriteError } from '../contract/errors';

/** The revision stored in a parsed file; files written before revisions existed are revision 0. */
export function storedRevision(doc: unknown): number {
  const r = (doc as { revision?: unknown } | null)?.revision;
  return Number.isInteger(r) && (r as number) >= 0 ? (r as number) : 0;
}

/** Checks a client's expected revision against the file's; `undefined`/`null` skips the check. */
export function checkRevision(expected: unknown, current: number, file: string, what: string): void {
  if (expected === undefined || expected === null) return;
  if (!Number.isInteger(expected) || (expected as number) < 0) {
    throw new ApiInputError(`${what}: revision must be a whole number >= 0, got ${JSON.stringify(expected)}`);
  }
  if (expected !== current) {
    throw new StaleWriteError(
      `${what}: ${file} was changed elsewhere (another tab or window saved revision ${current}; ` +
        `this change was made on revision ${String(expected)}). Reload the project and make the change again.`,
    );
  }
}
