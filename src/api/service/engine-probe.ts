/**
 * Finds the native engine addon without loading it. The app never loads libtorch into the
 * Electron main process (a crash there would take the window down, and the engine runs its own
 * process); this probe only tells the user whether an engine is installed and where.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import type { EngineStatus } from '../contract/types';

export type EngineProbe = () => Promise<EngineStatus>;

const execFileP = promisify(execFile);

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

/**
 * Asks a short-lived engine process what it can do (libtorch version, CUDA devices), so the
 * training view can offer CUDA only where it exists, without loading libtorch into this process.
 * Falls back to `fallback` (the addon file probe) when that process fails; answers are cached.
 */
export function engineProcessProbe(opts: {
  fallback: EngineProbe;
  repoRoot: string;
  timeoutMs?: number;
}): EngineProbe {
  let cached: Promise<EngineStatus> | null = null;
  const script =
    "const e = await import('./src/engine/index.ts');" +
    'const i = e.engineInfo();' +
    'process.stdout.write(JSON.stringify({ libtorch: i.libtorch, cuda: e.cudaAvailable(), count: e.cudaDeviceCount() }));';
  const ask = async (): Promise<EngineStatus> => {
    const base = await opts.fallback();
    if (base.state !== 'found') return base;
    try {
      const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: opts.repoRoot,
        timeout: opts.timeoutMs ?? 60_000,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      });
      const r = JSON.parse(stdout) as { libtorch: string; cuda: boolean; count: number };
      return {
        ...base,
        state: 'loaded',
        libtorchVersion: r.libtorch,
        cuda: r.cuda,
        cudaDeviceCount: r.count,
        message: 'probed in a separate engine process',
      };
    } catch (e) {
      return {
        ...base,
        state: 'error',
        message: `the engine process failed to start: ${(e as Error).message.split('\n')[0]}`,
      };
    }
  };
  return () => {
    cached ??= ask().then((s) => {
      if (s.state === 'error') cached = null; // try again next time: it may have been built since
      return s;
    });
    return cached;
  };
}
