/**
 * IPC transport of the API: one ipcMain handler per request channel, one forwarder per event
 * channel. Takes its Electron objects as parameters so tests can pass fakes.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNELS, EVENT_METHODS, INVOKE_CHANNELS, INVOKE_METHODS } from '../api/contract/channels';
import type { PathPolicy } from '../api/service/path-policy';
import type { ChoosePathsRequest, OneMarkApi, Unsubscribe } from '../api/contract/types';
import { ApiInputError } from '../api/contract/errors';

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

/** Electron's dialog.showOpenDialog, reduced to what withDialogPicks needs (tests pass a fake). */
export type ShowOpenDialog = (options: {
  title?: string;
  properties: ('openDirectory' | 'openFile' | 'multiSelections' | 'createDirectory')[];
}) => Promise<{ canceled: boolean; filePaths: string[] }>;

/**
 * The API with `choosePaths` answered by the system's file dialog. What the user picks there is
 * what the user chose, so it is added to the path policy: the renderer may then create a project
 * in it or import from it even outside the folders typed paths are confined to. The renderer
 * never gets to allow a path itself: only this main-process dialog does.
 */
export function withDialogPicks(
  api: OneMarkApi,
  policy: PathPolicy,
  showOpenDialog: ShowOpenDialog,
): OneMarkApi {
  return {
    ...api,
    async choosePaths(request: ChoosePathsRequest) {
      if (typeof request !== 'object' || request === null || !['folder', 'files'].includes(request.kind)) {
        throw new ApiInputError(`choosePaths(request): expected {kind: 'folder' | 'files'}`);
      }
      const result = await showOpenDialog({
        ...(typeof request.title === 'string' ? { title: request.title.slice(0, 200) } : {}),
        properties:
          request.kind === 'folder' ? ['openDirectory', 'createDirectory'] : ['openFile', 'multiSelections'],
      });
      if (result.canceled || result.filePaths.length === 0) return null;
      for (const p of result.filePaths) policy.allow(p);
      return result.filePaths;
    },
  };
}
