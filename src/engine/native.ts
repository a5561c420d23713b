/**
 * Loads the libtorch addon (native/build/onemark.node, built by `npm run build:native`).
 *
 * Tensors cross the boundary as numeric handles (see native/src/common.h), so the binding is typed
 * loosely here; src/engine/tensor.ts is the typed face. Set ONEMARK_ADDON to load another build.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A native tensor handle: (generation << 24 | slot); -1 marks a disposed JS tensor. */
export type Handle = number;

/**
 * The addon's exports: one function per op (names listed in docs/engine-api.md). The one untyped
 * boundary of the code base: each op gets its types where tensor.ts and the other wrappers call it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the C++ boundary, typed by its wrappers
export type NativeAddon = Record<string, (...args: any[]) => any>;

const HOW_TO_BUILD = [
  'Build it with: npm run build:native',
  'It needs libtorch: sudo apt-get install libtorch-dev, or download libtorch from pytorch.org and set',
  'LIBTORCH=/path/to/libtorch (or LIBTORCH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))")).',
].join('\n');

function candidates(): string[] {
  // An explicit choice is the only candidate: silently loading another build would hide mistakes.
  if (process.env.ONEMARK_ADDON) return [path.resolve(process.env.ONEMARK_ADDON)];
  const list: string[] = [];
  // src/engine/native.ts -> <repo>/native/build; bundlers may move this file, so also try the cwd.
  try {
    list.push(fileURLToPath(new URL('../../native/build/onemark.node', import.meta.url)));
  } catch {
    // import.meta.url is not a file URL (bundled): rely on the cwd candidate
  }
  list.push(path.resolve(process.cwd(), 'native', 'build', 'onemark.node'));
  return [...new Set(list)];
}

function load(): NativeAddon {
  const tried = candidates();
  const file = tried.find((f) => existsSync(f));
  if (!file)
    throw new Error(
      `The OneMark engine addon was not found (looked for ${tried.join(', ')}).\n${HOW_TO_BUILD}`,
    );
  const require = createRequire(import.meta.url);
  try {
    return require(file) as NativeAddon;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`The OneMark engine addon ${file} failed to load: ${msg}\n${HOW_TO_BUILD}`);
  }
}

/** The addon, loaded once on first import. */
export const native: NativeAddon = load();
