/**
 * Loads the built renderer in headless Chromium under its real CSP and reads the DOM it renders.
 * The Electron binary is not always installable, a system Chromium often is; this covers the page
 * (Vue + Pinia + CSP) while the smoke test covers preload and IPC where Electron exists.
 * window.onemark is faked by a same-origin script, so the CSP ('self' only) still applies to it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from './build-app';

function findChromium(): string | null {
  const candidates = [process.env.CHROME_PATH, 'chromium', 'chromium-browser', 'google-chrome'];
  for (const c of candidates) {
    if (!c) continue;
    const found = spawnSync('sh', ['-c', `command -v "${c}"`], { encoding: 'utf8' });
    if (found.status === 0) return found.stdout.trim();
  }
  return null;
}

const chromium = findChromium();
const skipReason = chromium ? null : 'no Chromium found (set CHROME_PATH or install chromium)';
if (skipReason) console.warn(`renderer page test skipped: ${skipReason}`);

// Classic script: runs before the deferred module bundle, like the preload does in Electron.
const FAKE_API = `
(() => {
  const root = document.documentElement;
  root.dataset.cspViolations = '';
  document.addEventListener('securitypolicyviolation', (e) => {
    root.dataset.cspViolations += e.violatedDirective + ' ';
  });
  const projects = [
    { path: '/p/ceph', name: 'Cephalometric', createdAt: 'a', modifiedAt: 'b', imageCount: 400, landmarkCount: 19 },
    { path: '/p/hand', name: 'Hand X-ray', createdAt: 'a', modifiedAt: 'a', imageCount: 12, landmarkCount: 37 },
  ];
  window.onemark = {
    engineInfo: async () => ({
      app: { name: 'OneMark', version: 't' },
      runtime: { node: 'x', platform: 'linux', arch: 'x64' },
      engine: { state: 'loaded', addonPath: '/x.node', searched: [], libtorchVersion: '1.13.1', cuda: false },
    }),
    listProjects: async () => projects,
    openProject: async (p) => ({ ...projects.find((x) => x.path === p), landmarkSet: { name: 'x', landmarks: [] }, images: [], templateImageId: null }),
    onJobEvent: () => () => {},
    landmarkPresets: async () => ({ isbi2015: { name: 'ISBI 2015 cephalometric (19)', landmarks: [] } }),
    listJobs: async () => [],
    pixelSpacing: async () => ({ project: null, images: {} }),
    uiState: async () => ({}),
    saveUiState: async () => {},
  };
  // Click the first project once the list is there, as a user would.
  const poll = setInterval(() => {
    const button = document.querySelector('aside button');
    if (button) { clearInterval(poll); button.click(); }
  }, 50);
})();
`;

let built: BuiltApp | undefined;
let server: Server | undefined;
let base = '';

beforeAll(async () => {
  if (skipReason) return;
  built = await buildApp();
  const rendererDir = path.join(built.dir, 'renderer');
  const html = await readFile(path.join(rendererDir, 'index.html'), 'utf8');
  await writeFile(path.join(rendererDir, 'fake-onemark.js'), FAKE_API);
  await writeFile(
    path.join(rendererDir, 'with-fake-api.html'),
    html.replace('<title>', '<script src="./fake-onemark.js"></script>\n    <title>'),
  );
  server = createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      const type = file.endsWith('.js')
        ? 'text/javascript'
        : file.endsWith('.css')
          ? 'text/css'
          : 'text/html';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);

afterAll(async () => {
  await new Promise((r) => (server ? server.close(r) : r(null)));
  if (built) await rm(built.dir, { recursive: true, force: true });
});

function dumpDom(url: string): Promise<string> {
  const args = ['--headless', '--disable-gpu', '--virtual-time-budget=5000', '--dump-dom', url];
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  return new Promise((resolve, reject) => {
    const child = spawn(chromium!, args, { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`chromium exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe.skipIf(!!skipReason)(
  `renderer page in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('renders the shell and says plainly when the API is missing', async () => {
      const dom = await dumpDom(`${base}/index.html`);
      expect(dom).toMatch(/<h1[^>]*>OneMark<\/h1>/);
      expect(text(dom)).toContain('window.onemark is missing');
    }, 60_000);

    it('shows engine and projects from the API, opens a project, with no CSP violation', async () => {
      const dom = await dumpDom(`${base}/with-fake-api.html`);
      const t = text(dom);
      expect(t).toContain('engine: libtorch 1.13.1 · CPU');
      expect(t).toContain('Cephalometric');
      expect(t).toContain('12 images · 37 landmarks');
      // The click opened the first project: its tabs and the import step show.
      expect(t).toMatch(/Images Template Training Review Export/);
      expect(t).toContain('Import images');
      expect(t).toContain('ISBI 2015 cephalometric (19)');
      expect(dom).not.toContain('role="alert"');
      expect(dom).toMatch(/data-csp-violations=""/);
    }, 60_000);
  },
);
