import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, repoRoot, type BuiltApp } from './build-app';

let built: BuiltApp;

beforeAll(async () => {
  built = await buildApp();
}, 240_000);

afterAll(async () => {
  if (built) await rm(built.dir, { recursive: true, force: true });
});

function cspOf(html: string): string | null {
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  return meta ? meta[1] : null;
}

describe('electron-vite build', () => {
  it('writes main, preload and renderer', () => {
    for (const f of ['main/index.js', 'preload/index.cjs', 'renderer/index.html']) {
      expect(existsSync(path.join(built.dir, f)), f).toBe(true);
    }
  });

  it('renderer/index.html carries a strict CSP and loads only local, relative assets', async () => {
    const html = await readFile(path.join(built.dir, 'renderer', 'index.html'), 'utf8');
    const csp = cspOf(html);
    expect(csp, 'CSP meta tag').not.toBeNull();
    const directives = new Map(
      csp!.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    // WebAssembly compilation (Cornerstone's DICOM codecs), never JavaScript eval.
    expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives.get('worker-src')).toEqual(["'self'", 'blob:']);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(csp!.replace("'wasm-unsafe-eval'", '')).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script>|<style>/); // nothing inline for the CSP to block
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s.startsWith('./assets/')).toBe(true);
    const assets = await readdir(path.join(built.dir, 'renderer', 'assets'));
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    // dicom-image-loader's decoder worker and its WebAssembly codecs are bundled beside the app.
    expect(assets.some((a) => /^decodeImageFrameWorker-.*\.js$/.test(a))).toBe(true);
    for (const codec of ['openjpegwasm_decode', 'charlswasm_decode', 'libjpegturbowasm_decode']) {
      expect(
        assets.some((a) => a.startsWith(codec) && a.endsWith('.wasm')),
        codec,
      ).toBe(true);
    }
  });

  it('the preload is one CommonJS file that requires only electron (sandbox-safe)', async () => {
    const js = await readFile(path.join(built.dir, 'preload', 'index.cjs'), 'utf8');
    const required = [...js.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(required).toEqual(['electron']);
    expect(js).not.toMatch(/^\s*(import|export)\s/m);
    expect(js).toContain('exposeInMainWorld');
  });

  it('bundles the engine process entry next to the main bundle, without electron', async () => {
    const js = await readFile(path.join(built.dir, 'main', 'engine-worker.js'), 'utf8');
    expect(js).toContain('runTrainingJob');
    expect(js).not.toMatch(/from ["']electron["']/);
  });

  it('the main bundle imports only electron, Node built-ins and production dependencies', async () => {
    const js = await readFile(path.join(built.dir, 'main', 'index.js'), 'utf8');
    const imports = [...js.matchAll(/^import\s[^'"]*["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports).toContain('electron');
    // electron-builder ships package.json's `dependencies` with the app; devDependencies never.
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const deps = Object.keys(pkg.dependencies ?? {});
    const packageOf = (spec: string) =>
      spec
        .split('/')
        .slice(0, spec.startsWith('@') ? 2 : 1)
        .join('/');
    for (const spec of imports) {
      // './chunk-*.js': code shared with the bundled engine-worker entry.
      const chunk = spec.startsWith('./') && existsSync(path.join(built.dir, 'main', spec));
      const ok = spec === 'electron' || spec.startsWith('node:') || chunk || deps.includes(packageOf(spec));
      expect(ok, spec).toBe(true);
    }
    expect(js).toContain('sandbox: true');
    expect(js).toContain('contextIsolation: true');
    expect(js).toContain('nodeIntegration: false');
  });
});

describe('dev-server CSP', () => {
  it('relaxes only style-src and connect-src, and only in serve mode', async () => {
    const { default: config } = await import('../../electron.vite.config');
    const plugins = (config as { renderer: { plugins: unknown[] } }).renderer.plugins.flat() as Array<{
      name?: string;
      apply?: string;
      transformIndexHtml?: (html: string) => string;
    }>;
    const dev = plugins.find((p) => p?.name === 'onemark:dev-csp');
    expect(dev?.apply).toBe('serve');
    const source = await readFile(path.join(repoRoot, 'src', 'renderer', 'index.html'), 'utf8');
    const relaxed = cspOf(dev!.transformIndexHtml!(source))!;
    expect(relaxed).toContain("style-src 'self' 'unsafe-inline'");
    expect(relaxed).toMatch(/connect-src 'self' ws:\/\/localhost:\*/);
    expect(relaxed).toContain("script-src 'self' 'wasm-unsafe-eval';"); // scripts stay strict even in dev
  });
});
