/**
 * Which URLs count as "the OneMark window". IPC, navigation and network requests are allowed only
 * for these; everything else is refused, so a page that somehow loads remote content still cannot
 * reach the API. Pure functions (no Electron import) so they are tested in Node.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export type RendererEntry = { kind: 'file'; file: string } | { kind: 'url'; url: string };

export interface AppOrigin {
  /** The renderer page itself, or one of its bundled assets. */
  isAppUrl(url: string): boolean;
  /** A request the renderer may make: app URLs plus in-memory data: and blob: URLs. */
  isAllowedRequest(url: string): boolean;
}

export function appOrigin(entry: RendererEntry): AppOrigin {
  let isAppUrl: (url: string) => boolean;
  if (entry.kind === 'url') {
    // Dev server (electron-vite dev): same origin, http for pages, ws for hot reload.
    const dev = new URL(entry.url);
    isAppUrl = (url) => {
      const u = tryUrl(url);
      if (!u) return false;
      if (u.protocol === 'ws:' || u.protocol === 'wss:') return u.host === dev.host;
      return u.origin === dev.origin;
    };
  } else {
    const rootUrl = pathToFileURL(path.dirname(path.resolve(entry.file)) + path.sep).href;
    isAppUrl = (url) => {
      const u = tryUrl(url);
      if (!u || u.protocol !== 'file:') return false;
      // new URL() resolves '..' segments, so a prefix test cannot be escaped by ../../etc/passwd.
      return u.host === '' && `file://${u.pathname}`.startsWith(rootUrl);
    };
  }
  return {
    isAppUrl,
    isAllowedRequest: (url) =>
      isAppUrl(url) || url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('devtools:'),
  };
}

function tryUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
