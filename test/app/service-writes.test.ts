/**
 * Issue 10, the service's writes: every read-modify-write of a project runs in one writer queue
 * per project (no acknowledged write is lost, whatever the interleaving), whole-file saves carry a
 * revision (a stale one is refused with 409), scratch files of killed writes are swept when a
 * project is opened, a project folder on /proc fails at once, and `onemark serve`'s path policy
 * keeps projects and imports inside the folders the user chose.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiHttpError, createHttpClient } from '../../src/api/http/client';
import { startApiServer, type ApiServer } from '../../src/api/http/server';
import { pathsUnder } from '../../src/api/service/path-policy';
import { PROJECT_FILE } from '../../src/api/disk/project-file';
import { withKeyLock } from '../../src/api/service/project-lock';
import { createApiService } from '../../src/api/service/service';
import { registerApiHandlers } from '../../src/main/ipc';
import { buildBridge } from '../../src/preload/bridge';
import type { AnnotationSet, LandmarkSet, OneMarkApi } from '../../src/api/contract/types';

const landmarkSet: LandmarkSet = {
  name: 'four',
  landmarks: [
    { id: 1, name: 'A' },
    { id: 2, name: 'B' },
    { id: 3, name: 'C' },
    { id: 4, name: 'D' },
  ],
};

let tmp: string;
let server: ApiServer | null = null;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-writes-'));
});
afterEach(async () => {
  await server?.close();
  server = null;
  await rm(tmp, { recursive: true, force: true });
});

/** Empty files with image names: importImages only looks at names, it decodes nothing. */
async function imageFiles(dir: string, names: string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = names.map((n) => path.join(dir, n));
  for (const f of files) await writeFile(f, '');
  return files;
}

async function httpApi(options: Parameters<typeof createApiService>[0]): Promise<OneMarkApi> {
  server = await startApiServer({ api: createApiService(options) });
  return createHttpClient(server.url, server.token);
}

function templateSet(k: number): AnnotationSet {
  return {
    landmarkSet,
    images: [
      {
        imageId: 'img00',
        landmarks: landmarkSet.landmarks.map((l) => ({ id: l.id, point: { x: k, y: l.id } })),
      },
    ],
  };
}

/** A fixed shuffle, so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('one writer queue per project', () => {
  it('keeps every acknowledged write of 60 parallel mixed writes through HTTP', async () => {
    const api = await httpApi({ stateDir: path.join(tmp, 'state') });
    const dir = path.join(tmp, 'project');
    await api.createProject({ path: dir, name: 'Busy', landmarkSet });
    const first = await imageFiles(
      path.join(tmp, 'scans'),
      Array.from({ length: 10 }, (_, i) => `img${String(i).padStart(2, '0')}.png`),
    );
    await api.importImages(dir, { paths: [path.join(tmp, 'scans')], mode: 'reference' });
    const later = await imageFiles(
      path.join(tmp, 'later'),
      Array.from({ length: 12 }, (_, i) => `new${String(i).padStart(2, '0')}.png`),
    );

    const corrections = Array.from({ length: 24 }, (_, n) => ({
      imageId: `img${String(n % 6).padStart(2, '0')}`,
      landmarkId: (Math.floor(n / 6) % 4) + 1,
      point: { x: 100 + n, y: 200 + n },
    }));
    const writes: (() => Promise<unknown>)[] = [
      ...corrections.map((c) => () => api.saveCorrection(dir, c.imageId, c.landmarkId, c.point)),
      ...first.map((_, i) => () => api.setReviewed(dir, `img${String(i).padStart(2, '0')}`, true)),
      ...later.map((f) => () => api.importImages(dir, { paths: [f], mode: 'reference' })),
      ...Array.from({ length: 14 }, (_, k) => () => api.saveAnnotations(dir, templateSet(k))),
    ];
    expect(writes.length).toBeGreaterThanOrEqual(50);
    const results = await Promise.allSettled(shuffled(writes, 7).map((w) => w()));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    const review = await api.loadReview(dir);
    for (const c of corrections) {
      const ann = review.corrections.images.find((a) => a.imageId === c.imageId);
      expect(
        ann?.landmarks.find((v) => v.id === c.landmarkId)?.point,
        `${c.imageId}/${c.landmarkId}`,
      ).toEqual(c.point);
    }
    expect([...review.reviewed].sort()).toEqual(first.map((_, i) => `img${String(i).padStart(2, '0')}`));
    const project = await api.openProject(dir);
    expect(project.images.map((im) => im.id).sort()).toEqual(
      [...first, ...later].map((f) => path.basename(f, '.png')).sort(),
    );
    // One revision per content change: the first import plus the twelve single-file imports.
    expect(project.revision).toBe(13);
    const annotations = await api.loadAnnotations(dir);
    expect(annotations.revision).toBe(14);
    const saved = Array.from({ length: 14 }, (_, k) => templateSet(k).images);
    expect(saved).toContainEqual(annotations.images);
  });

  it('shares one queue between IPC and HTTP: 40 parallel corrections, half by each, all kept', async () => {
    const service = createApiService({ stateDir: path.join(tmp, 'state') });
    server = await startApiServer({ api: service });
    const overHttp = createHttpClient(server.url, server.token);
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
    registerApiHandlers(
      {
        handle: (ch: string, h: never) => handlers.set(ch, h),
        removeHandler: (ch: string) => handlers.delete(ch),
      } as never,
      service,
      () => true,
    );
    const overIpc = buildBridge({
      invoke: async (channel: string, ...args: unknown[]) =>
        structuredClone(
          await handlers.get(channel)!({ senderFrame: { url: 'app://x' } }, ...structuredClone(args)),
        ),
      on: (() => {}) as never,
      removeListener: (() => {}) as never,
    });
    const dir = path.join(tmp, 'both');
    await service.createProject({ path: dir, name: 'Both', landmarkSet });
    await imageFiles(
      path.join(tmp, 'scans'),
      Array.from({ length: 10 }, (_, i) => `img${i}.png`),
    );
    await service.importImages(dir, { paths: [path.join(tmp, 'scans')], mode: 'reference' });
    const edits = Array.from({ length: 40 }, (_, n) => ({
      api: n % 2 === 0 ? overHttp : overIpc,
      imageId: `img${n % 10}`,
      landmarkId: Math.floor(n / 10) + 1,
      point: { x: n, y: 1000 + n },
    }));
    await Promise.all(edits.map((e) => e.api.saveCorrection(dir, e.imageId, e.landmarkId, e.point)));
    const { corrections } = await service.loadReview(dir);
    for (const e of edits) {
      const kept = corrections.images
        .find((a) => a.imageId === e.imageId)
        ?.landmarks.find((v) => v.id === e.landmarkId);
      expect(kept?.point, `${e.imageId}/${e.landmarkId}`).toEqual(e.point);
    }
  });

  it('runs queued work in order and goes on after a failure', async () => {
    const order: number[] = [];
    const slow = (n: number, ms: number, fail = false) =>
      withKeyLock('k', async () => {
        await new Promise((r) => setTimeout(r, ms));
        order.push(n);
        if (fail) throw new Error(`job ${n} failed`);
        return n;
      });
    const results = await Promise.allSettled([slow(1, 30), slow(2, 1, true), slow(3, 10), slow(4, 0)]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  });
});

describe('revisions: a stale save is refused, not applied', () => {
  it('answers 409 StaleWriteError to a save based on an older revision of annotations.json', async () => {
    const api = await httpApi({ stateDir: path.join(tmp, 'state') });
    const dir = path.join(tmp, 'two-tabs');
    await api.createProject({ path: dir, name: 'Tabs', landmarkSet });
    await imageFiles(path.join(tmp, 'scans'), ['img00.png', 'img01.png']);
    await api.importImages(dir, { paths: [path.join(tmp, 'scans')], mode: 'reference' });

    const tabA = await api.loadAnnotations(dir);
    const tabB = await api.loadAnnotations(dir);
    expect(tabA.revision).toBe(0);
    expect(await api.saveAnnotations(dir, { ...templateSet(1), revision: tabA.revision })).toEqual({
      revision: 1,
    });
    const stale = await api
      .saveAnnotations(dir, { ...templateSet(2), revision: tabB.revision })
      .catch((e) => e);
    expect(stale).toBeInstanceOf(ApiHttpError);
    expect(stale).toMatchObject({ name: 'StaleWriteError', status: 409 });
    expect((stale as Error).message).toMatch(/annotations\.json was changed elsewhere.*Reload/s);
    // Tab A's save is what the file holds; tab B, reloaded, can save again.
    const reloaded = await api.loadAnnotations(dir);
    expect(reloaded.images).toEqual(templateSet(1).images);
    expect(await api.saveAnnotations(dir, { ...templateSet(3), revision: reloaded.revision })).toEqual({
      revision: 2,
    });
    // A client that sends no revision is still served (serialised, unchecked).
    expect(await api.saveAnnotations(dir, templateSet(4))).toEqual({ revision: 3 });
  });

  it('lets exactly one of 20 parallel saves naming the same revision through', async () => {
    const api = await httpApi({ stateDir: path.join(tmp, 'state') });
    const dir = path.join(tmp, 'race');
    await api.createProject({ path: dir, name: 'Race', landmarkSet });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, k) => api.saveAnnotations(dir, { ...templateSet(k), revision: 0 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.reason).toMatchObject({ status: 409 });
  });

  it('refuses setTemplate and setLandmarkSet made on an outdated project', async () => {
    const api = await httpApi({ stateDir: path.join(tmp, 'state') });
    const dir = path.join(tmp, 'proj-rev');
    const created = await api.createProject({ path: dir, name: 'Rev', landmarkSet });
    expect(created.revision).toBe(0);
    await imageFiles(path.join(tmp, 'scans'), ['img00.png', 'img01.png']);
    const imported = await api.importImages(dir, { paths: [path.join(tmp, 'scans')], mode: 'reference' });
    expect(imported.revision).toBe(1);
    const chosen = await api.setTemplate(dir, 'img00', imported.revision);
    expect(chosen.revision).toBe(2);
    await expect(api.setTemplate(dir, 'img01', imported.revision)).rejects.toMatchObject({
      name: 'StaleWriteError',
      status: 409,
    });
    await expect(api.setLandmarkSet(dir, landmarkSet, 0)).rejects.toMatchObject({ status: 409 });
    expect((await api.openProject(dir)).templateImageId).toBe('img00');
    // Saving annotations is not a content change of the project file: no false conflict.
    await api.saveAnnotations(dir, templateSet(1));
    expect((await api.setTemplate(dir, 'img01', chosen.revision)).revision).toBe(3);
  });
});

describe('scratch files and pseudo file systems', () => {
  it('removes stale .tmp files of killed writes when a project is opened, not fresh ones', async () => {
    const api = createApiService({ stateDir: path.join(tmp, 'state') });
    const dir = path.join(tmp, 'tmp-project');
    await api.createProject({ path: dir, name: 'Tmp', landmarkSet });
    // A process that has exited: its scratch file can only be a leftover.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const leftover = `${PROJECT_FILE}.${dead}.1700000000000.0.tmp`;
    const old = `corrections.json.${process.pid}.1700000000000.1.tmp`;
    const fresh = `reviews.json.${process.pid}.${Date.now()}.2.tmp`;
    for (const f of [leftover, old, fresh]) await writeFile(path.join(dir, f), '{"half":');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(path.join(dir, old), hourAgo, hourAgo);
    await mkdir(path.join(dir, 'exports', '20250101-000000-corrected-all.slicer.tmp'), { recursive: true });
    await utimes(path.join(dir, 'exports', '20250101-000000-corrected-all.slicer.tmp'), hourAgo, hourAgo);
    await writeFile(path.join(dir, 'notes.tmp'), 'a user file that only looks similar');

    await api.openProject(dir);
    expect((await readdir(dir)).sort()).toEqual([PROJECT_FILE, 'exports', 'notes.tmp', fresh].sort());
    expect(await readdir(path.join(dir, 'exports'))).toEqual([]);
  });

  it.skipIf(process.platform !== 'linux')(
    'fails fast with a clear error for a project under /proc or /sys',
    async () => {
      const api = createApiService({ stateDir: path.join(tmp, 'state') });
      for (const where of ['/proc/onemark-project', '/proc/self/onemark/deeper', '/sys/onemark']) {
        const t0 = Date.now();
        await expect(api.createProject({ path: where, name: 'P' })).rejects.toThrow(
          /kernel's (proc|sysfs) file system, which cannot hold files/,
        );
        expect(Date.now() - t0).toBeLessThan(2000);
      }
    },
  );
});

describe('project and import paths stay where the user allowed', () => {
  it('refuses paths outside the roots (403), symlinks out of a root included', async () => {
    const root = path.join(tmp, 'allowed');
    const outside = path.join(tmp, 'elsewhere');
    await mkdir(root, { recursive: true });
    await mkdir(outside, { recursive: true });
    await symlink(outside, path.join(root, 'link-out'));
    const api = await httpApi({ stateDir: path.join(tmp, 'state'), paths: pathsUnder([root]) });

    const refused = (p: Promise<unknown>) =>
      expect(p).rejects.toMatchObject({ name: 'PathNotAllowedError', status: 403 });
    await refused(api.createProject({ path: path.join(outside, 'p'), name: 'Out' }));
    await refused(api.createProject({ path: path.join(root, 'link-out', 'p'), name: 'Via link' }));
    await refused(api.createProject({ path: path.join(root, '..', 'elsewhere', 'p'), name: 'Dotdot' }));
    expect(await readdir(outside)).toEqual([]);

    const dir = path.join(root, 'ok');
    await api.createProject({ path: dir, name: 'In' });
    const secret = await imageFiles(outside, ['secret.png']);
    await refused(api.importImages(dir, { paths: secret, mode: 'copy' }));
    await refused(api.importGroundTruth(dir, path.join(outside, 'truth.csv')));
    await refused(api.openProject(outside));
    const inside = await imageFiles(path.join(root, 'scans'), ['a.png']);
    expect((await api.importImages(dir, { paths: inside, mode: 'copy' })).images.map((im) => im.id)).toEqual([
      'a',
    ]);
    // The message names the path the user gave, not how the server resolved it.
    const e = (await api
      .createProject({ path: path.join(outside, 'q'), name: 'Q' })
      .catch((x) => x)) as Error;
    expect(e.message).toContain(path.join(outside, 'q'));
    expect(e.message).not.toMatch(/realpath|at \//);
    expect(JSON.parse(await readFile(path.join(dir, PROJECT_FILE), 'utf8')).images).toHaveLength(1);
  });
});
