import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { appOrigin } from '../../src/main/app-origin';
import { addonCandidates, preloadPath, rendererEntry } from '../../src/main/paths';
import { hardenSession, hardenWebContents } from '../../src/main/security';

const outDir = path.resolve('/opt/OneMark/resources/app.asar/out');
const indexFile = path.join(outDir, 'renderer', 'index.html');

describe('appOrigin (file build)', () => {
  const origin = appOrigin({ kind: 'file', file: indexFile });
  const inRenderer = (rel: string) => pathToFileURL(path.join(outDir, 'renderer', rel)).href;

  it('accepts the page and its assets', () => {
    expect(origin.isAppUrl(inRenderer('index.html'))).toBe(true);
    expect(origin.isAppUrl(inRenderer('assets/index-abc.js'))).toBe(true);
  });

  it('rejects other files, traversal out of the renderer folder, and remote URLs', () => {
    expect(origin.isAppUrl(pathToFileURL(path.join(outDir, 'main', 'index.js')).href)).toBe(false);
    expect(
      origin.isAppUrl(inRenderer('index.html').replace('/renderer/', '/renderer/../../../../etc/')),
    ).toBe(false);
    expect(origin.isAppUrl('file:///etc/passwd')).toBe(false);
    expect(origin.isAppUrl('https://example.com/index.html')).toBe(false);
    expect(origin.isAppUrl('not a url')).toBe(false);
  });

  it('allows in-memory data/blob requests but no network', () => {
    expect(origin.isAllowedRequest('data:image/png;base64,AAAA')).toBe(true);
    expect(origin.isAllowedRequest('blob:file:///1234')).toBe(true);
    expect(origin.isAllowedRequest('https://cdn.example.com/lib.js')).toBe(false);
    expect(origin.isAllowedRequest('http://localhost:5173/')).toBe(false);
  });
});

describe('appOrigin (dev server)', () => {
  const origin = appOrigin({ kind: 'url', url: 'http://localhost:5173/' });
  it('accepts only the dev server origin, including its hot-reload websocket', () => {
    expect(origin.isAppUrl('http://localhost:5173/src/main.ts')).toBe(true);
    expect(origin.isAllowedRequest('ws://localhost:5173/')).toBe(true);
    expect(origin.isAppUrl('http://localhost:5174/')).toBe(false);
    expect(origin.isAppUrl('file:///etc/passwd')).toBe(false);
  });
});

describe('paths', () => {
  const mainDir = path.join(outDir, 'main');
  it('finds preload and renderer next to the main bundle, or the dev server', () => {
    expect(preloadPath(mainDir)).toBe(path.join(outDir, 'preload', 'index.cjs'));
    expect(rendererEntry(mainDir, {})).toEqual({ kind: 'file', file: indexFile });
    expect(rendererEntry(mainDir, { ELECTRON_RENDERER_URL: 'http://localhost:5173' })).toEqual({
      kind: 'url',
      url: 'http://localhost:5173',
    });
  });

  it('looks for the addon under resources when packaged, under native/build in development', () => {
    const base = { resourcesPath: '/opt/OneMark/resources', appPath: '/src/onemark', env: {} };
    expect(addonCandidates({ ...base, isPackaged: true })).toEqual([
      path.join('/opt/OneMark/resources', 'native', 'onemark.node'),
    ]);
    expect(
      addonCandidates({ ...base, isPackaged: false, env: { ONEMARK_NATIVE_ADDON: '/x/my.node' } }),
    ).toEqual([path.resolve('/x/my.node'), path.join('/src/onemark', 'native', 'build', 'onemark.node')]);
  });
});

describe('security hooks', () => {
  const origin = appOrigin({ kind: 'file', file: indexFile });

  it('session: denies permissions and cancels non-app requests', () => {
    let permission: any;
    let check: any;
    let beforeRequest: any;
    const session = {
      setPermissionRequestHandler: (fn: any) => (permission = fn),
      setPermissionCheckHandler: (fn: any) => (check = fn),
      webRequest: { onBeforeRequest: (fn: any) => (beforeRequest = fn) },
    };
    hardenSession(session as any, origin);
    const cb = vi.fn();
    permission(null, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
    expect(check()).toBe(false);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const answer = vi.fn();
    beforeRequest({ url: 'https://tracker.example/pixel.gif' }, answer);
    expect(answer).toHaveBeenLastCalledWith({ cancel: true });
    beforeRequest({ url: pathToFileURL(indexFile).href }, answer);
    expect(answer).toHaveBeenLastCalledWith({ cancel: false });
    warn.mockRestore();
  });

  it('webContents: denies window.open, foreign navigation and webviews', () => {
    const handlers = new Map<string, any>();
    let openHandler: any;
    const contents = {
      setWindowOpenHandler: (fn: any) => (openHandler = fn),
      on: (name: string, fn: any) => handlers.set(name, fn),
    };
    hardenWebContents(contents as any, origin);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(openHandler({ url: 'https://example.com' })).toEqual({ action: 'deny' });

    const away = { url: 'https://example.com', preventDefault: vi.fn() };
    handlers.get('will-navigate')(away);
    expect(away.preventDefault).toHaveBeenCalled();
    const home = { url: pathToFileURL(indexFile).href, preventDefault: vi.fn() };
    handlers.get('will-navigate')(home);
    expect(home.preventDefault).not.toHaveBeenCalled();

    const webview = { preventDefault: vi.fn() };
    handlers.get('will-attach-webview')(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    warn.mockRestore();
  });
});
