/**
 * Which folders the API may create projects in, open them from and import files from. Behind
 * `onemark serve` the page in the browser is the only judge of a path, and a page can be fooled
 * (a crafted file name, a script slipped into it): so the server only accepts paths under the
 * folders its user chose when starting it (`--root DIR`, default the home folder and the app's
 * projects folder). The Electron app adds the paths the user picked in a native dialog
 * (`allow`). Paths are compared after resolving symlinks, so a link inside a root that points
 * elsewhere does not open a way out.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** A path outside what the user allowed: HTTP 403. */
export class PathNotAllowedError extends Error {
  override name = 'PathNotAllowedError';
}

export interface PathPolicy {
  /** Throws PathNotAllowedError unless `absPath` lies in an allowed folder; `what` names the argument. */
  check(absPath: string, what: string): Promise<void>;
  /** Allows `absPath` and everything under it from now on (a folder or file picked in a dialog). */
  allow(absPath: string): void;
  /** The allowed folders, for the server's start-up message. */
  roots(): string[];
}

/** The library default (tests, scripts): every absolute path is accepted. */
export function anyPath(): PathPolicy {
  return { check: async () => {}, allow: () => {}, roots: () => ['/'] };
}

/** `p` with symlinks resolved as far as it exists; the missing rest is appended unchanged. */
async function realPathOf(p: string): Promise<string> {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let current = abs;
  for (;;) {
    try {
      return path.join(await fs.realpath(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return abs;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** Only paths under `roots` (and under paths later passed to `allow`). */
export function pathsUnder(roots: readonly string[]): PathPolicy {
  const allowed = roots.map((r) => path.resolve(r));
  return {
    async check(absPath, what) {
      const target = await realPathOf(absPath);
      for (const root of allowed) {
        if (isInside(await realPathOf(root), target)) return;
      }
      throw new PathNotAllowedError(
        `${what}: ${absPath} is outside the folders this workstation may use ` +
          `(onemark serve: the home folder unless started with --root DIR; the app: your home ` +
          `folder and folders chosen in a dialog). Choose a folder inside them.`,
      );
    },
    allow(absPath) {
      allowed.push(path.resolve(absPath));
    },
    roots: () => [...allowed],
  };
}
