/**
 * Builds the object the preload exposes: one wrapper per API method around a fixed channel name.
 * Kept apart from index.ts (which only exposes it) so it can be imported without side effects.
 */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import {
  EVENT_CHANNELS,
  EVENT_METHODS,
  INVOKE_CHANNELS,
  INVOKE_METHODS,
  type EventMethod,
  type EventPayload,
} from '../api/contract/channels';
import type { OneMarkApi } from '../api/contract/types';

export type IpcLike = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

// Electron hands a handler's error to the page as a plain Error whose message is
// "Error invoking remote method '<channel>': <name>: <message>"; the name is what the page tells a
// StaleWriteError (reload) or a PathNotAllowedError from other failures by, as over HTTP.
const REMOTE_ERROR = /^Error invoking remote method '[^']*': (?:([A-Za-z]*Error): )?([\s\S]*)$/;

/** The error a main-process handler threw, with its name and without Electron's prefix. */
export function restoreIpcError(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const m = REMOTE_ERROR.exec(e.message);
  if (!m) return e;
  const restored = new Error(m[2]);
  restored.name = m[1] ?? 'Error';
  return restored;
}

export function buildBridge(ipc: IpcLike): OneMarkApi {
  const api: Record<string, unknown> = {};
  for (const method of INVOKE_METHODS) {
    const channel = INVOKE_CHANNELS[method];
    api[method] = (...args: unknown[]) =>
      ipc.invoke(channel, ...args).catch((e: unknown) => {
        throw restoreIpcError(e);
      });
  }
  for (const method of EVENT_METHODS) {
    const channel = EVENT_CHANNELS[method];
    api[method] = (listener: (payload: EventPayload<EventMethod>) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`${method}(listener): expected a function`);
      // Drop the IpcRendererEvent: it carries a sender the page must not get hold of.
      const handler = (_event: IpcRendererEvent, payload: EventPayload<EventMethod>) => listener(payload);
      ipc.on(channel, handler);
      return () => {
        ipc.removeListener(channel, handler);
      };
    };
  }
  return Object.freeze(api) as unknown as OneMarkApi;
}
