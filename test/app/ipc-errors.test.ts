/**
 * Over Electron IPC a handler's error reaches the page as "Error invoking remote method '<ch>':
 * <name>: <message>". The preload bridge gives it back its name, so the renderer tells a stale
 * save (StaleWriteError: reload) or a refused path apart from other failures, as over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiService } from '../../src/api/service/service';
import { registerApiHandlers } from '../../src/main/ipc';
import { buildBridge, restoreIpcError, type IpcLike } from '../../src/preload/bridge';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-ipc-err-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Invokes handlers the way Electron does: errors cross as a message with the channel in front. */
function electronLikeIpc(service: ReturnType<typeof createApiService>): IpcLike {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  registerApiHandlers(
    {
      handle: (ch: string, h: never) => handlers.set(ch, h),
      removeHandler: (ch: string) => handlers.delete(ch),
    } as never,
    service,
    () => true,
  );
  return {
    invoke: async (channel: string, ...args: unknown[]) => {
      try {
        return structuredClone(await handlers.get(channel)!({ senderFrame: { url: 'app://x' } }, ...args));
      } catch (e) {
        const err = e as Error;
        throw new Error(`Error invoking remote method '${channel}': ${err.name}: ${err.message}`);
      }
    },
    on: (() => {}) as never,
    removeListener: (() => {}) as never,
  };
}

describe('errors over IPC keep their name', () => {
  it('a stale save arrives as StaleWriteError with the service message', async () => {
    const api = buildBridge(electronLikeIpc(createApiService({ stateDir: path.join(tmp, 'state') })));
    const dir = path.join(tmp, 'p');
    const landmarkSet = { name: 's', landmarks: [{ id: 1, name: 'A' }] };
    await api.createProject({ path: dir, name: 'P', landmarkSet });
    const set = { landmarkSet, images: [{ imageId: 'x', landmarks: [{ id: 1, point: { x: 1, y: 1 } }] }] };
    await api.saveAnnotations(dir, { ...set, revision: 0 });
    const e = (await api.saveAnnotations(dir, { ...set, revision: 0 }).catch((x) => x)) as Error;
    expect(e.name).toBe('StaleWriteError');
    expect(e.message).toMatch(/^saveAnnotations: annotations\.json was changed elsewhere/);
    const bad = (await api.openProject('relative').catch((x) => x)) as Error;
    expect(bad.name).toBe('ApiInputError');
  });

  it('leaves other errors as they are', () => {
    const plain = new Error('boom');
    expect(restoreIpcError(plain)).toBe(plain);
    expect(restoreIpcError(new Error("Error invoking remote method 'c': Error: x"))).toMatchObject({
      name: 'Error',
      message: 'x',
    });
  });
});
