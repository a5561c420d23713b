/**
 * The one rule for ids that become file names (image ids → `<id>.txt`, `<id>.mrk.json`, copied
 * images; run and job ids → folders). Ids come from files a user was sent and from the renderer,
 * so an id like `../../x` or `/etc/x` must never choose where a file lands.
 *
 * Two entry points:
 * - `requireSafeFileStem` refuses an id it was given (a landmark file's image id): the user learns
 *   which id is wrong instead of finding a renamed file;
 * - `toSafeFileStem` turns a name the program picks itself (an imported file's base name) into one
 *   that passes the rule, so importing `con.png` or `a:b.png` works on every system.
 * `resolveInside` is the last line of defence: whatever the name, the resolved path must stay in
 * the folder the caller meant.
 */
import path from 'node:path';
import { DataError } from './errors';

/** Bytes, not characters: file systems limit names to 255 bytes; leave room for an extension. */
export const MAX_FILE_STEM_BYTES = 200;

// Windows refuses these as file names with any extension (CON.txt too); projects move between
// systems (a cluster, a colleague's laptop), so they are refused everywhere.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// Separators of every system, NUL and the other control characters, and the characters Windows
// forbids in names (":" also makes `C:x` a drive-relative path there).
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f/\\:*?"<>|]/;

/** Why `id` cannot be a file name, or null when it can. */
export function unsafeFileStemReason(id: string): string | null {
  if (id.length === 0) return 'it is empty';
  if (id === '.' || id === '..') return `"${id}" names a folder, not a file`;
  if (id.includes('\0')) return 'it contains a NUL character';
  if (path.isAbsolute(id) || path.win32.isAbsolute(id)) return 'it is an absolute path';
  const bad = FORBIDDEN_CHARS.exec(id);
  if (bad) {
    const ch = bad[0];
    const shown =
      ch === '/' || ch === '\\' ? `a path separator "${ch}"` : `the character ${JSON.stringify(ch)}`;
    return `it contains ${shown}`;
  }
  if (WINDOWS_RESERVED.test(id)) return `"${id}" is a reserved device name on Windows`;
  // Windows drops trailing dots and spaces, so "a." and "a" would be the same file there.
  if (/[. ]$/.test(id)) return 'it ends with a dot or a space';
  if (Buffer.byteLength(id, 'utf8') > MAX_FILE_STEM_BYTES)
    return `it is longer than ${MAX_FILE_STEM_BYTES} bytes`;
  return null;
}

export function isSafeFileStem(id: string): boolean {
  return unsafeFileStemReason(id) === null;
}

/**
 * Returns `id` when it can be used as a file name as it is; otherwise throws a DataError naming
 * `where` (the file the id came from, or the folder it was to be written into) and the reason.
 */
export function requireSafeFileStem(id: unknown, where: string, what = 'image id'): string {
  if (typeof id !== 'string') throw new DataError(where, `${what} must be a string`, { kind: 'landmarks' });
  const why = unsafeFileStemReason(id);
  if (why) {
    throw new DataError(where, `${what} ${JSON.stringify(id)} cannot be used as a file name: ${why}`, {
      kind: 'landmarks',
    });
  }
  return id;
}

/**
 * Makes a name the program chose safe: forbidden characters become "_", a reserved or empty name
 * gets a "_" suffix, an overlong one is cut (on a character boundary). Safe names come back as
 * they are, so ordinary file names keep their ids.
 */
export function toSafeFileStem(name: string): string {
  if (isSafeFileStem(name)) return name;
  let s = name.replace(new RegExp(FORBIDDEN_CHARS.source, 'g'), '_');
  s = s.replace(/[. ]+$/, (m) => '_'.repeat(m.length));
  while (Buffer.byteLength(s, 'utf8') > MAX_FILE_STEM_BYTES) s = [...s].slice(0, -1).join('');
  // The device name is what Windows reserves (COM1.txt too), so the mark goes right after it.
  if (WINDOWS_RESERVED.test(s)) s = s.replace(/^[^.]*/, (device) => `${device}_`);
  if (s === '' || s === '.' || s === '..') s = `${s}_`;
  return s;
}

/**
 * `folder/name` resolved, refused unless it stays inside `folder` (checked on the resolved path,
 * whatever `name` holds). `where` names the folder in the error.
 */
export function resolveInside(folder: string, name: string): string {
  const root = path.resolve(folder);
  const target = path.resolve(root, name);
  const rel = path.relative(root, target);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('..')) {
    throw new DataError(
      root,
      `refusing to write ${JSON.stringify(name)}: it would land outside this folder`,
      {
        kind: 'landmarks',
      },
    );
  }
  return target;
}
