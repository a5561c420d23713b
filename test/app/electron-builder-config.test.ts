import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addonCandidates } from '../../src/main/paths';
import { repoRoot } from './build-app';

// electron-builder is not installed here, so this is the check that its config says what the app expects.
interface Resource {
  from: string;
  to: string;
  filter?: string[];
}

const load = async () => parse(await readFile(path.join(repoRoot, 'build', 'electron-builder.yml'), 'utf8'));

describe('build/electron-builder.yml', () => {
  it('names the app and targets AppImage + deb, nsis and dmg', async () => {
    const cfg = await load();
    expect(cfg.productName).toBe('OneMark');
    expect(cfg.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(cfg.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(cfg.win.target).toContain('nsis');
    expect(cfg.mac.target).toContain('dmg');
  });

  it('ships the bundles electron-vite writes and the entry package.json points at', async () => {
    const cfg = await load();
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(cfg.files).toEqual(expect.arrayContaining(['out/**', 'package.json']));
    expect(pkg.main).toBe('out/main/index.js');
  });

  it('puts the addon where the packaged main process looks for it, outside the asar', async () => {
    const cfg = await load();
    const resources: Resource[] = cfg.extraResources;
    const addon = resources.find((r) => r.from === 'native/build/onemark.node');
    expect(addon, 'extraResources entry for native/build/onemark.node').toBeDefined();
    const resourcesPath = path.join(path.sep, 'app', 'resources');
    const [expected] = addonCandidates({ isPackaged: true, resourcesPath, appPath: '/unused', env: {} });
    expect(path.join(resourcesPath, addon!.to)).toBe(expected);
    expect(cfg.asarUnpack).toContain('**/*.node');
    expect(cfg.npmRebuild).toBe(false);
  });

  it('takes libtorch from an environment variable, never a hard-coded path, and copies only its libraries', async () => {
    const cfg = await load();
    const libtorch = (cfg.extraResources as Resource[]).find((r) => r.to === 'libtorch/lib');
    expect(libtorch?.from).toMatch(/^\$\{env\.[A-Z_]+\}$/);
    expect(libtorch?.filter).toEqual(expect.arrayContaining(['libtorch*', 'libc10*']));
  });
});
