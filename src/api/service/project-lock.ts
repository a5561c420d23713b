/**
 * One writer at a time per project folder. Corrections, reviewed flags, the project file and the
 * annotations are read-modify-write; two requests interleaving (two tabs, or a burst of HTTP
 * calls) would each read the old file and the last rename would silently drop the other's change.
 * Every write path of the service runs inside `withProjectLock`, whichever transport (IPC, HTTP,
 * direct) the request came by, because they all share this module.
 *
 * The queue is per process: a second process writing the same project (another `onemark serve`)
 * is caught by the revision numbers (src/api/disk/revision.ts), not by this lock.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

const tails = new Map<string, Promise<void>>();

/** The same folder reached through a symlink or a trailing slash must share one queue. */
async function lockKey(dir: string): Promise<string> {
  const abs = path.resolve(dir);
  return fs.realpath(abs).catch(() => abs);
}

/** Runs `fn` after every earlier call for the same key has finished (FIFO), whatever they threw. */
export async function withKeyLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    // Forget finished queues so a long-running server does not keep one entry per project ever seen.
    if (tails.get(key) === tail) tails.delete(key);
  }
}

export async function withProjectLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  return withKeyLock(await lockKey(dir), fn);
}
