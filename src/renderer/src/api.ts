/**
 * The renderer's only door to the outside: one OneMarkApi, from whichever transport is there.
 * In Electron the preload put it on window.onemark (IPC); in a browser served by `onemark serve`
 * it is the HTTP + WebSocket client, with the access token taken from the URL fragment
 * (#token=...) and kept for the tab's session only.
 */
import { EVENT_METHODS, INVOKE_METHODS } from '../../api/contract/channels';
import { createHttpClient } from '../../api/http/client';
import type { OneMarkApi } from '../../api/contract/types';
import { reportDown, reportUp } from './connection';
import { isNetworkError, userMessage } from './lib/errors';

const TOKEN_KEY = 'onemark.token';
let httpApi: OneMarkApi | null = null;
let wrapped: { raw: OneMarkApi; api: OneMarkApi } | null = null;

/** An API error as the window shows it; `name` and HTTP `status` survive (e.g. a stale write's 409). */
export class ApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * The transport's API with messages for people (lib/errors.ts) and the connection state kept
 * (connection.ts): every view gets both without handling them itself.
 */
function friendly(raw: OneMarkApi): OneMarkApi {
  const out: Record<string, unknown> = {};
  const table = raw as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of INVOKE_METHODS) {
    // An API from an older app (or a test's stand-in) may lack a method: leave it missing.
    if (typeof table[method] !== 'function') continue;
    out[method] = async (...args: unknown[]) => {
      try {
        const value = await table[method].apply(raw, args);
        reportUp();
        return value;
      } catch (e) {
        // listJobs as the ping: cheap, in memory (engineInfo may probe the engine).
        if (isNetworkError(e)) reportDown(() => raw.listJobs());
        const err = e instanceof Error ? e : new Error(String(e));
        const status = (err as { status?: unknown }).status;
        throw new ApiError(
          err.name,
          userMessage(err.message, INVOKE_METHODS),
          typeof status === 'number' ? status : undefined,
        );
      }
    };
  }
  for (const method of EVENT_METHODS) {
    if (typeof table[method] === 'function') out[method] = table[method].bind(raw);
  }
  return out as unknown as OneMarkApi;
}

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
  const raw = rawApi();
  if (wrapped?.raw !== raw) wrapped = { raw, api: friendly(raw) };
  return wrapped.api;
}

function rawApi(): OneMarkApi {
  const api = globalThis.window?.onemark;
  if (api) return api;
  if (httpApi) return httpApi;
  const loc = globalThis.location;
  const token = tokenFromLocation();
  if (loc && loc.protocol.startsWith('http') && token) {
    httpApi = createHttpClient(loc.origin, token, {
      // A page that only watches progress makes no request: the event socket tells it instead.
      onSocket: (state) => (state === 'closed' ? reportDown(() => httpApi!.listJobs()) : reportUp()),
    });
    return httpApi;
  }
  throw new Error(
    'OneMark API unavailable: this page must run inside the OneMark app (window.onemark is missing) ' +
      'or be opened with the URL `onemark serve` prints (it carries the access token)',
  );
}

/**
 * A URL with a new #token= pasted into this tab (the server restarted with a new token on the same
 * port) changes only the fragment, so the page does not load again by itself: take the token and
 * load the page again (the last project reopens, see the workspace store's restore).
 */
export function followPastedTokens(): void {
  globalThis.addEventListener?.('hashchange', () => {
    if (!/(?:^#|&)token=/.test(globalThis.location?.hash ?? '')) return;
    tokenFromLocation();
    globalThis.location.reload();
  });
}
