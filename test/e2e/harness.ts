/**
 * What every e2e test needs: the built renderer (once per run), `onemark serve` as a real child
 * process, and headless Chromium through playwright-core. Skips (with the reason) where Chromium
 * or the engine addon is absent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp, repoRoot } from '../app/build-app';

export const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
export const ADDON = path.join(repoRoot, 'native', 'build', 'onemark.node');
export const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e');

export function skipReason(needEngine: boolean): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (set CHROME_PATH)`;
  if (needEngine && !existsSync(ADDON)) return `engine addon not built (${ADDON}); run npm run build:native`;
  return null;
}

let rendererDir: Promise<string> | null = null;
/** Builds the app once per process into a temporary folder; returns its renderer folder. */
export function builtRenderer(): Promise<string> {
  rendererDir ??= buildApp().then((b) => path.join(b.dir, 'renderer'));
  return rendererDir;
}

export interface Served {
  url: string;
  appUrl: string;
  token: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `onemark serve` (src/cli/commands/serve.ts under tsx) and waits for its URL line. */
export async function startServe(
  stateDir: string,
  renderer: string,
  env: NodeJS.ProcessEnv = {},
  /** More `onemark serve` options, e.g. ['--port', '8123', '--token', '...']. */
  args: string[] = [],
): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(repoRoot, 'src', 'cli', 'commands', 'serve.ts'),
      '--state',
      stateDir,
      '--renderer',
      renderer,
      // Projects and images of a test live next to its state folder (serve only accepts paths
      // under its roots).
      '--root',
      path.dirname(stateDir),
      ...args,
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, ONEMARK_THREADS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const first = await new Promise<{ url: string; appUrl: string; token: string }>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`onemark serve did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (d) => {
      buf += d;
      out += d;
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line));
        } catch {
          reject(new Error(`unexpected first line from onemark serve: ${line}\n${out}`));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`onemark serve exited (${code}):\n${out}`));
    });
  });
  return {
    ...first,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Collects console errors and CSP violations so a test can assert the page stayed clean. */
export function watchPage(page: Page): { errors: string[] } {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Screen position (page coordinates) of an original-pixel point in the viewer. The Cornerstone
 * viewport element carries its current mapping (data-scale/-scale-y: screen pixels per original
 * pixel, data-tx/-ty: where pixel (0,0)'s outer corner is), refreshed on every render.
 */
export async function canvasPoint(
  page: Page,
  p: { x: number; y: number },
  selector = '.image-viewport',
): Promise<{ x: number; y: number }> {
  const viewport = page.locator(selector).first();
  const box = await viewport.boundingBox();
  if (!box) throw new Error('viewer viewport not visible');
  const d = await viewport.evaluate((el: HTMLElement) => ({
    scale: Number(el.dataset.scale),
    scaleY: Number(el.dataset.scaleY ?? el.dataset.scale),
    tx: Number(el.dataset.tx),
    ty: Number(el.dataset.ty),
  }));
  return { x: box.x + d.tx + (p.x + 0.5) * d.scale, y: box.y + d.ty + (p.y + 0.5) * d.scaleY };
}

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}
