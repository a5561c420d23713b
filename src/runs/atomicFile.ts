/**
 * Run files written whole or not at all. A kill between `open` and the last byte of a plain
 * write leaves a torn config.json or pseudo-labels.json that stops every later --resume until
 * someone deletes it by hand; a temporary file renamed over the target cannot be torn.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Temporary files of this module and of the safetensors writer: `.NAME.<pid>.<random>.tmp`. */
const TEMP_NAME = /^\..+\.tmp$/;

export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`,
  );
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new Error(`cannot write ${file}: ${(e as Error).message}`);
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/**
 * Deletes temporary files left by a kill during a write, in `root` and its direct sub-folders
 * (a run's stage folders). Files younger than `minAgeMs` are kept: another process (a second
 * part of the same run) may be writing them right now.
 */
export function removeStaleTemps(root: string, minAgeMs = 10 * 60_000, now = Date.now()): string[] {
  const removed: string[] = [];
  const sweep = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth > 0) sweep(p, depth - 1);
      else if (e.isFile() && TEMP_NAME.test(e.name)) {
        try {
          if (now - fs.statSync(p).mtimeMs >= minAgeMs) {
            fs.rmSync(p, { force: true });
            removed.push(p);
          }
        } catch {
          // Gone already (another process cleaned it): nothing to do.
        }
      }
    }
  };
  sweep(root, 1);
  return removed;
}
