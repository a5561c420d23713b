/**
 * The renderer's only door to the outside: one OneMarkApi, from whichever transport is there.
 * In Electron the preload put it on window.onemark (IPC); in a browser served by `onemark serve`
 * it is the HTTP + WebSocket client, with the access token taken from the URL fragment
 * (#token=...) and kept for the tab's session only.
 */
import { createHttpClient } from '../../api/http-client';
import type { OneMarkApi } from '../../api/types';

const TOKEN_KEY = 'onemark.token';
let httpApi: OneMarkApi | null = null;

function tokenFromLocation(): string | null {
  const loc = globalThis.location;
  if (!loc) return null;
  const match = /(?:^#|&)token=([^&]+)/.exec(loc.hash ?? '');
  if (match) {
    const token = decodeURIComponent(match[1]);
    try {
      globalThis.sessionStorage?.setItem(TOKEN_KEY, token);
      // Keep the token out of the address bar (and out of screenshots and history).
      globalThis.history?.replaceState(null, '', loc.pathname + loc.search);
    } catch {
      // storage unavailable: the token still works for this page load
    }
    return token;
  }
  try {
    return globalThis.sessionStorage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

export function getApi(): OneMarkApi {
  const api = globalThis.window?.onemark;
  if (api) return api;
  if (httpApi) return httpApi;
  const loc = globalThis.location;
  const token = tokenFromLocation();
  if (loc && loc.protocol.startsWith('http') && token) {
    httpApi = createHttpClient(loc.origin, token);
    return httpApi;
  }
  throw new Error(
    'OneMark API unavailable: this page must run inside the OneMark app (window.onemark is missing) ' +
      'or be opened with the URL `onemark serve` prints (it carries the access token)',
  );
}
