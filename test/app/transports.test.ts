/**
 * One contract, three ways in: the service called directly, through the Electron IPC transport
 * (preload bridge ↔ main handlers, with structured cloning as Electron does), and through
 * `onemark serve`'s HTTP + WebSocket transport. Each passes the same tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createHttpClient } from '../../src/api/http/client';
import { startApiServer, type ApiServer } from '../../src/api/http/server';
import { JobRegistry } from '../../src/api/service/jobs';
import { createApiService } from '../../src/api/service/service';
import type { JobEvent, OneMarkApi } from '../../src/api/contract/types';
import { forwardApiEvents, registerApiHandlers } from '../../src/main/ipc';
import { buildBridge, type IpcLike } from '../../src/preload/bridge';
import { writeSyntheticImages } from '../e2e/synthetic';

interface Transport {
  name: string;
  make(service: OneMarkApi): Promise<{ api: OneMarkApi; close(): Promise<void> }>;
}

const direct: Transport = {
  name: 'direct',
  make: async (service) => ({ api: service, close: async () => {} }),
};

const ipc: Transport = {
  name: 'Electron IPC',
  async make(service) {
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
    const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
    registerApiHandlers(
      {
        handle: (ch: string, h: never) => handlers.set(ch, h),
        removeHandler: (ch: string) => handlers.delete(ch),
      } as never,
      service,
      () => true,
    );
    const off = forwardApiEvents(service, (channel, payload) => {
      for (const l of listeners.get(channel) ?? []) l({}, structuredClone(payload));
    });
    const renderer: IpcLike = {
      invoke: async (channel: string, ...args: unknown[]) => {
        const h = handlers.get(channel);
        if (!h) throw new Error(`no handler for ${channel}`);
        return structuredClone(
          await h({ senderFrame: { url: 'app://onemark/index.html' } }, ...structuredClone(args)),
        );
      },
      on: ((channel: string, l: (event: unknown, payload: unknown) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(l);
      }) as never,
      removeListener: ((channel: string, l: never) => listeners.get(channel)?.delete(l)) as never,
    };
    return { api: buildBridge(renderer), close: async () => off() };
  },
};

const http: Transport = {
  name: 'HTTP + WebSocket',
  async make(service) {
    const server: ApiServer = await startApiServer({ api: service });
    const api = createHttpClient(server.url, server.token, { WebSocket: WebSocket as never });
    return { api, close: () => server.close() };
  },
};

for (const transport of [direct, ipc, http]) {
  describe(`API contract over ${transport.name}`, () => {
    let tmp: string;
    let api: OneMarkApi;
    let registry: JobRegistry;
    let close: () => Promise<void>;
    let scans: string;

    beforeAll(async () => {
      tmp = await mkdtemp(path.join(tmpdir(), 'onemark-transport-'));
      registry = new JobRegistry();
      const service = createApiService({ stateDir: path.join(tmp, 'state'), jobs: registry });
      ({ api, close } = await transport.make(service));
      scans = path.join(tmp, 'scans');
      await writeSyntheticImages(scans, 3);
    });
    afterAll(async () => {
      await close();
      await rm(tmp, { recursive: true, force: true });
    });

    const dir = () => path.join(tmp, 'p');

    it('creates, opens and lists a project', async () => {
      const created = await api.createProject({
        path: dir(),
        name: 'P',
        landmarkSet: {
          name: 's',
          landmarks: [
            { id: 1, name: 'A' },
            { id: 2, name: 'B' },
          ],
        },
      });
      expect(created.landmarkCount).toBe(2);
      expect(await api.openProject(dir())).toEqual(created);
      expect((await api.listProjects()).map((p) => p.path)).toContain(dir());
      expect(Object.keys(await api.landmarkPresets())).toContain('isbi2015');
    });

    it('imports images, sets the template and serves decoded pixels as typed arrays', async () => {
      const p = await api.importImages(dir(), { paths: [scans], mode: 'reference' });
      expect(p.images.map((im) => im.id)).toEqual(['img01', 'img02', 'img03']);
      const again = await api.importImages(dir(), { paths: [scans], mode: 'reference' });
      expect(again.images).toHaveLength(3); // the same files are not imported twice
      expect((await api.setTemplate(dir(), 'img02')).templateImageId).toBe('img02');
      const px = await api.imagePixels(dir(), 'img01', 64);
      expect(px.pixels).toBeInstanceOf(Uint8Array);
      expect(px.pixels.length).toBe(px.width * px.height);
      expect([px.width, px.height, px.originalWidth]).toEqual([64, 64, 128]);
      expect(px.windows[0].width).toBeGreaterThan(0);
    });

    it('round-trips annotations and reports bad input with a message that says what to fix', async () => {
      const p = await api.openProject(dir());
      const set = {
        landmarkSet: p.landmarkSet,
        images: [
          {
            imageId: 'img02',
            landmarks: [
              { id: 1, point: { x: 3.5, y: 4 } },
              { id: 2, point: null },
            ],
          },
        ],
      };
      expect(await api.saveAnnotations(dir(), set)).toEqual({ revision: 1 });
      // The file's revision comes back with it, so the next save can name it (a stale one: 409).
      expect(await api.loadAnnotations(dir())).toEqual({ ...set, revision: 1 });
      await expect(api.openProject('relative/path')).rejects.toThrow(/expected an absolute path/);
      await expect(api.setTemplate(dir(), 'nope')).rejects.toThrow(/has no image "nope"/);
      await expect(
        api.exportLandmarks({ projectPath: dir(), format: 'csv', images: 'all', values: 'predicted' }),
      ).rejects.toThrow(/nothing to export/);
      await expect(
        api.startTraining({ projectPath: dir(), method: 'cc2d', preset: 'huge' as never, device: 'cpu' }),
      ).rejects.toThrow(/preset 'huge' is unknown/);
    });

    it('stores corrections and reviewed flags apart from predictions', async () => {
      await api.saveCorrection(dir(), 'img01', 2, { x: 10, y: 11 });
      await api.setReviewed(dir(), 'img01', true);
      const r = await api.loadReview(dir());
      expect(r.runId).toBeNull();
      expect(r.predictions.images).toEqual([]);
      expect(r.corrections.images).toEqual([
        { imageId: 'img01', landmarks: [{ id: 2, point: { x: 10, y: 11 }, source: 'correction' }] },
      ]);
      expect(r.reviewed).toEqual(['img01']);
      await expect(api.saveCorrection(dir(), 'img01', 9, { x: 1, y: 1 })).rejects.toThrow(/landmark 9/);
      expect(await api.evaluate(dir(), 'corrected')).toBeNull();
    });

    it('delivers job events to listeners and stops after unsubscribe', async () => {
      registry.add({ id: 'j1', kind: 'train', projectPath: dir(), state: 'queued', createdAt: 'now' });
      const got: JobEvent[] = [];
      const off = api.onJobEvent((e) => got.push(e));
      // The WebSocket connects asynchronously: publish until the first event arrives.
      for (let i = 0; i < 100 && got.length === 0; i++) {
        registry.publish({ type: 'progress', jobId: 'j1', progress: 0.5, stage: 'stage1' });
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(got[0]).toEqual({ type: 'progress', jobId: 'j1', progress: 0.5, stage: 'stage1' });
      off();
      const n = got.length;
      registry.publish({ type: 'state', jobId: 'j1', state: 'done' });
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(n);
      expect((await api.listJobs(dir())).find((j) => j.id === 'j1')?.state).toBe('done');
    });
  });
}
