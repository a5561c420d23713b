/**
 * The OneMark API as a client of `onemark serve`: the renderer uses it when it runs in a browser
 * (no preload, no window.onemark). Browser-only globals (fetch, WebSocket), no Node imports.
 */
import { EVENT_METHODS, INVOKE_METHODS, type EventMethod } from '../contract/channels';
import type { OneMarkApi } from '../contract/types';
import { fromWire, HTTP_API_PREFIX, toWire, WS_EVENTS_PATH, type WireReply } from './wire';

export class ApiHttpError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface HttpClientOptions {
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** Told when the event socket opens and when it drops (the server stopped, the network went). */
  onSocket?: (state: 'open' | 'closed') => void;
}

export function createHttpClient(baseUrl: string, token: string, opts: HttpClientOptions = {}): OneMarkApi {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const WS = opts.WebSocket ?? globalThis.WebSocket;
  const base = baseUrl.replace(/\/$/, '');
  const api: Record<string, unknown> = {};

  for (const method of INVOKE_METHODS) {
    api[method] = async (...args: unknown[]) => {
      const res = await doFetch(`${base}${HTTP_API_PREFIX}${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ args: toWire(args) }),
      });
      let reply: WireReply;
      try {
        reply = (await res.json()) as WireReply;
      } catch {
        throw new ApiHttpError(
          'Error',
          `${method}: the server answered ${res.status} without a reply`,
          res.status,
        );
      }
      if (!reply.ok) throw new ApiHttpError(reply.error.name, reply.error.message, res.status);
      return 'value' in reply ? fromWire(reply.value) : undefined;
    };
  }

  // One socket for all event methods, opened on the first subscription and reopened if it drops.
  const listeners = new Map<EventMethod, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  const wsUrl = `${base.replace(/^http/, 'ws')}${WS_EVENTS_PATH}?token=${encodeURIComponent(token)}`;
  const connect = () => {
    if (socket || !WS) return;
    const ws = new WS(wsUrl);
    socket = ws;
    ws.onmessage = (ev: MessageEvent) => {
      try {
        const msg = JSON.parse(String(ev.data)) as { method: EventMethod; payload: unknown };
        for (const l of listeners.get(msg.method) ?? []) l(fromWire(msg.payload));
      } catch {
        // a malformed frame: ignore it rather than break the page
      }
    };
    // A failed connect is followed by close, which retries; the error itself needs no handling.
    ws.onerror = () => {};
    ws.onopen = () => opts.onSocket?.('open');
    ws.onclose = () => {
      socket = null;
      opts.onSocket?.('closed');
      if ([...listeners.values()].some((s) => s.size > 0)) setTimeout(connect, 1000);
    };
  };
  for (const method of EVENT_METHODS) {
    api[method] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`${method}(listener): expected a function`);
      if (!listeners.has(method)) listeners.set(method, new Set());
      listeners.get(method)!.add(listener);
      connect();
      return () => {
        listeners.get(method)?.delete(listener);
      };
    };
  }
  return Object.freeze(api) as unknown as OneMarkApi;
}
