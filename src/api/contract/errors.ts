/**
 * The errors the API promises by name: both transports carry an error as its `name` and message
 * (HTTP maps the name to a status, IPC keeps it on the Error), and the renderer tells a stale save
 * apart by its name. Plain classes with no imports, so every process can throw or test them.
 */

/** An argument or a file the user can fix: HTTP 400. */
export class ApiInputError extends Error {
  override name = 'ApiInputError';
}

/** A save based on a revision that is no longer the file's: HTTP 409. */
export class StaleWriteError extends Error {
  override name = 'StaleWriteError';
}
