/**
 * Exported files handed to the window, so a browser on `onemark serve` can save them where the
 * user wants (the server's exports/ path means nothing on another machine, or to a browser).
 * Only files inside the project's exports/ folder, never through a link out of it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EXPORTS_DIR } from '../disk/project-file';
import type { Project } from '../contract/types';
import { ApiInputError } from '../contract/errors';

/** Exports are small text files; a limit keeps a wrong path from streaming gigabytes. */
const MAX_BYTES = 64 * 1024 * 1024;

export async function readExportFile(project: Project, fileArg: unknown): Promise<Uint8Array> {
  if (typeof fileArg !== 'string' || fileArg.length === 0 || fileArg.includes('\0')) {
    throw new ApiInputError('Download: expected the path of an exported file');
  }
  const root = await fs.realpath(path.join(project.path, EXPORTS_DIR)).catch(() => null);
  if (!root) throw new ApiInputError('Download: this project has no exports yet');
  const wanted = path.resolve(root, fileArg);
  let real: string;
  try {
    real = await fs.realpath(wanted);
  } catch {
    throw new ApiInputError(`Download: ${fileArg} does not exist (exported files are in ${root})`);
  }
  const rel = path.relative(root, real);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ApiInputError(`Download: only files in the project's exports folder can be downloaded`);
  }
  const st = await fs.stat(real);
  if (!st.isFile()) throw new ApiInputError(`Download: ${fileArg} is not a file`);
  if (st.size > MAX_BYTES) throw new ApiInputError(`Download: ${fileArg} is larger than 64 MB`);
  return new Uint8Array(await fs.readFile(real));
}
