/**
 * Finds the native engine addon without loading it. The app never loads libtorch into the
 * Electron main process (a crash there would take the window down, and the engine runs its own
 * process); this probe only tells the user whether an engine is installed and where.
 */
import { promises as fs } from 'node:fs';
import type { EngineStatus } from './types';

export type EngineProbe = () => Promise<EngineStatus>;

export function addonFileProbe(candidates: readonly string[]): EngineProbe {
  return async () => {
    const searched = [...candidates];
    for (const file of searched) {
      try {
        if ((await fs.stat(file)).isFile()) {
          return {
            state: 'found',
            addonPath: file,
            searched,
            message: 'engine addon present; it is loaded by the engine process, not by the app',
          };
        }
      } catch {
        // absent here: try the next place
      }
    }
    return {
      state: 'missing',
      addonPath: null,
      searched,
      message:
        searched.length === 0
          ? 'no engine addon locations configured'
          : 'engine addon not found; build it with `npm run build:native`',
    };
  };
}
