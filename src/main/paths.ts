/**
 * Where the built pieces are, in development (electron-vite output in out/) and when packaged
 * (electron-builder: app code in the asar, native addon and libtorch under resources/).
 */
import path from 'node:path';
import type { RendererEntry } from './app-origin';

/** out/main/index.js sits next to out/preload/ and out/renderer/. */
export function preloadPath(mainDir: string): string {
  return path.join(mainDir, '..', 'preload', 'index.cjs');
}

export function rendererEntry(mainDir: string, env: NodeJS.ProcessEnv): RendererEntry {
  // electron-vite dev sets this to the dev server; a packaged app never has it.
  const devUrl = env['ELECTRON_RENDERER_URL'];
  return devUrl
    ? { kind: 'url', url: devUrl }
    : { kind: 'file', file: path.join(mainDir, '..', 'renderer', 'index.html') };
}

export interface AddonLocations {
  isPackaged: boolean;
  /** process.resourcesPath: where electron-builder's extraResources land. */
  resourcesPath: string;
  /** app.getAppPath(): the repository root in development. */
  appPath: string;
  env: NodeJS.ProcessEnv;
}

/** Places the engine addon may be, most specific first (see build/electron-builder.yml). */
export function addonCandidates(loc: AddonLocations): string[] {
  const out: string[] = [];
  const override = loc.env['ONEMARK_NATIVE_ADDON'];
  if (override) out.push(path.resolve(override));
  if (loc.isPackaged) out.push(path.join(loc.resourcesPath, 'native', 'onemark.node'));
  else out.push(path.join(loc.appPath, 'native', 'build', 'onemark.node'));
  return out;
}
