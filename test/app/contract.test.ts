import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  API_GLOBAL,
  EVENT_CHANNELS,
  EVENT_METHODS,
  INVOKE_CHANNELS,
  INVOKE_METHODS,
} from '../../src/api/contract/channels';
import { JobRegistry } from '../../src/api/service/jobs';
import { createApiService } from '../../src/api/service/service';
import type { OneMarkApi } from '../../src/api/contract/types';
import { forwardApiEvents, registerApiHandlers } from '../../src/main/ipc';

// What the preload hands to Electron, recorded by the mocked 'electron' module.
const electron = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const ipcRenderer = {
    invoke: vi.fn(async (channel: string, ...args: unknown[]): Promise<unknown> => ({ channel, args })),
    on: vi.fn((channel: string, fn: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    }),
    removeListener: vi.fn((channel: string, fn: (...args: unknown[]) => void) => {
      listeners.get(channel)?.delete(fn);
    }),
  };
  const contextBridge = { exposeInMainWorld: vi.fn((key: string, api: unknown) => exposed.set(key, api)) };
  return { exposed, listeners, ipcRenderer, contextBridge };
});

vi.mock('electron', () => ({ contextBridge: electron.contextBridge, ipcRenderer: electron.ipcRenderer }));

let api: OneMarkApi;

beforeAll(async () => {
  await import('../../src/preload/index');
  api = electron.exposed.get(API_GLOBAL) as OneMarkApi;
});

describe('channel contract', () => {
  it('channel names are unique and namespaced', () => {
    const all = [...Object.values(INVOKE_CHANNELS), ...Object.values(EVENT_CHANNELS)];
    expect(new Set(all).size).toBe(all.length);
    for (const c of all) expect(c).toMatch(/^onemark:[a-z]+(:[a-z-]+)+$/);
    expect(EVENT_METHODS.every((m) => m.startsWith('on'))).toBe(true);
    expect(INVOKE_METHODS.some((m) => m.startsWith('on'))).toBe(false);
  });
});

describe('preload', () => {
  it('exposes exactly one global, window.onemark', () => {
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect([...electron.exposed.keys()]).toEqual([API_GLOBAL]);
    expect(API_GLOBAL).toBe('onemark');
  });

  it('exposes exactly the methods of the contract, as functions, frozen', () => {
    expect(Object.keys(api).sort()).toEqual([...INVOKE_METHODS, ...EVENT_METHODS].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('each request method invokes its own channel with the arguments unchanged', async () => {
    const call = api as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const method of INVOKE_METHODS) {
      electron.ipcRenderer.invoke.mockClear();
      const reply = await call[method]('/abs/project', { n: 1 });
      expect(electron.ipcRenderer.invoke).toHaveBeenCalledTimes(1);
      expect(reply).toEqual({ channel: INVOKE_CHANNELS[method], args: ['/abs/project', { n: 1 }] });
    }
  });

  it('event methods listen on their channel, hide the IPC event and unsubscribe', () => {
    const channel = EVENT_CHANNELS.onJobEvent;
    const got: unknown[] = [];
    const off = api.onJobEvent((e) => got.push(e));
    const [handler] = electron.listeners.get(channel)!;
    const payload = { type: 'log', jobId: 'j', level: 'info', message: 'hi' };
    handler({ sender: 'secret ipc event' }, payload);
    expect(got).toEqual([payload]);
    off();
    expect(electron.listeners.get(channel)!.size).toBe(0);
    expect(() => api.onJobEvent('nope' as never)).toThrow(/expected a function/);
  });
});

describe('main-side IPC handlers', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'onemark-ipc-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  function fakeIpcMain() {
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
    return {
      handlers,
      handle: (ch: string, fn: (event: unknown, ...args: unknown[]) => unknown) => {
        if (handlers.has(ch)) throw new Error(`second handler for ${ch}`);
        handlers.set(ch, fn);
      },
      removeHandler: (ch: string) => handlers.delete(ch),
    };
  }

  it('handles exactly the request channels and refuses untrusted senders', async () => {
    const ipc = fakeIpcMain();
    const service = createApiService({ stateDir: tmp });
    const trusted = (e: any) => e.senderFrame?.url === 'file:///app/index.html';
    const dispose = registerApiHandlers(ipc as any, service, trusted);
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());

    const handler = ipc.handlers.get(INVOKE_CHANNELS.listProjects)!;
    await expect(handler({ senderFrame: { url: 'file:///app/index.html' } })).resolves.toEqual([]);
    expect(() => handler({ senderFrame: { url: 'https://evil.example/' } })).toThrow(
      /refused, the request came from https:\/\/evil\.example\//,
    );
    dispose();
    expect(ipc.handlers.size).toBe(0);
  });

  it('preload → IPC → service round trip, and job events pushed back to the page', async () => {
    const ipc = fakeIpcMain();
    const jobs = new JobRegistry();
    const service = createApiService({ stateDir: tmp, jobs });
    registerApiHandlers(ipc as any, service, () => true);
    // Wire the recorded preload's ipcRenderer to the fake main: invoke → handler, send → listeners.
    electron.ipcRenderer.invoke.mockImplementation(async (ch: string, ...args: unknown[]) =>
      ipc.handlers.get(ch)!({ senderFrame: { url: 'file:///app/index.html' } }, ...args),
    );
    const stop = forwardApiEvents(service, (ch, payload) => {
      for (const fn of electron.listeners.get(ch) ?? []) fn({}, payload);
    });

    const dir = path.join(tmp, 'roundtrip');
    const created = await api.createProject({ path: dir, name: 'Round trip' });
    expect(created.path).toBe(dir);
    expect((await api.listProjects()).map((p) => p.name)).toEqual(['Round trip']);
    await expect(api.openProject('not/absolute')).rejects.toThrow(/absolute path/);

    const events: unknown[] = [];
    const off = api.onJobEvent((e) => events.push(e));
    jobs.add({ id: 'j1', kind: 'train', projectPath: dir, state: 'queued', createdAt: 'now' });
    jobs.publish({ type: 'state', jobId: 'j1', state: 'running' });
    expect(events).toEqual([{ type: 'state', jobId: 'j1', state: 'running' }]);
    expect(await api.listJobs(dir)).toEqual([expect.objectContaining({ id: 'j1', state: 'running' })]);
    off();
    stop();
  });
});
