/**
 * IPC transport of the API: one ipcMain handler per request channel, one forwarder per event
 * channel. Takes its Electron objects as parameters so tests can pass fakes.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNELS, EVENT_METHODS, INVOKE_CHANNELS, INVOKE_METHODS } from '../api/contract';
import type { OneMarkApi, Unsubscribe } from '../api/types';

type IpcHost = Pick<IpcMain, 'handle' | 'removeHandler'>;

/** Registers every request channel; returns a function that removes them again. */
export function registerApiHandlers(
  ipc: IpcHost,
  api: OneMarkApi,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
): () => void {
  for (const method of INVOKE_METHODS) {
    const channel = INVOKE_CHANNELS[method];
    const impl = api[method] as (...args: unknown[]) => Promise<unknown>;
    ipc.handle(channel, (event, ...args: unknown[]) => {
      if (!isTrustedSender(event)) {
        const from = event.senderFrame?.url ?? 'an unknown frame';
        throw new Error(`${channel}: refused, the request came from ${from}, not the OneMark window`);
      }
      return impl.apply(api, args);
    });
  }
  return () => {
    for (const method of INVOKE_METHODS) ipc.removeHandler(INVOKE_CHANNELS[method]);
  };
}

/** Subscribes to every event method of the API and hands each payload to `send` with its channel. */
export function forwardApiEvents(
  api: OneMarkApi,
  send: (channel: string, payload: unknown) => void,
): Unsubscribe {
  const unsubscribers = EVENT_METHODS.map((method) => {
    const channel = EVENT_CHANNELS[method];
    return api[method]((payload: unknown) => send(channel, payload));
  });
  return () => unsubscribers.forEach((off) => off());
}
