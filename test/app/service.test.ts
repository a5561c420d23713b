import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { INVOKE_METHODS, EVENT_METHODS } from '../../src/api/contract/channels';
import { JobRegistry } from '../../src/api/service/jobs';
import { PROJECT_FILE } from '../../src/api/disk/project-file';
import { createApiService } from '../../src/api/service/service';
import type { AnnotationSet, LandmarkSet, OneMarkApi } from '../../src/api/contract/types';

const landmarkSet: LandmarkSet = {
  name: 'cephalometric-3',
  landmarks: [
    { id: 1, name: 'Sella' },
    { id: 2, name: 'Nasion' },
    { id: 3, name: 'Orbitale' },
  ],
};

let tmp: string;
let stateDir: string;
let api: OneMarkApi;
let clock: number;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-service-'));
  stateDir = path.join(tmp, 'state');
  clock = Date.UTC(2025, 0, 1);
  api = createApiService({
    stateDir,
    app: { name: 'OneMark', version: '9.9.9' },
    now: () => new Date((clock += 1000)),
  });
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('api service (plain Node)', () => {
  it('implements every method of the channel contract', () => {
    for (const m of [...INVOKE_METHODS, ...EVENT_METHODS]) expect(typeof api[m], m).toBe('function');
  });

  it('engineInfo reports app, runtime and a missing addon with the places searched', async () => {
    const missing = path.join(tmp, 'nowhere', 'onemark.node');
    const svc = createApiService({ stateDir, addonCandidates: [missing] });
    const info = await svc.engineInfo();
    expect(info.app.name).toBe('OneMark');
    expect(info.runtime.node).toBe(process.versions.node);
    expect(info.runtime.electron).toBeUndefined();
    expect(info.engine.state).toBe('missing');
    expect(info.engine.searched).toEqual([missing]);
  });

  it('engineInfo finds an addon file and survives a throwing probe', async () => {
    const addon = path.join(tmp, 'onemark.node');
    await writeFile(addon, 'not really a binary');
    const found = await createApiService({
      stateDir,
      addonCandidates: [path.join(tmp, 'x.node'), addon],
    }).engineInfo();
    expect(found.engine).toMatchObject({ state: 'found', addonPath: addon });

    const broken = createApiService({
      stateDir,
      engineProbe: async () => {
        throw new Error('libtorch_cpu.so: cannot open shared object file');
      },
    });
    const info = await broken.engineInfo();
    expect(info.engine.state).toBe('error');
    expect(info.engine.message).toContain('libtorch_cpu.so');
  });

  it('creates, lists and opens projects; lists newest first', async () => {
    expect(await api.listProjects()).toEqual([]);
    const a = await api.createProject({ path: path.join(stateDir, 'projects', 'a'), name: 'A', landmarkSet });
    const elsewhere = path.join(tmp, 'elsewhere', 'b');
    const b = await api.createProject({ path: elsewhere, name: ' B ' });
    expect(a).toMatchObject({ name: 'A', landmarkCount: 3, imageCount: 0, templateImageId: null });
    expect(b.name).toBe('B');
    expect(b.landmarkSet).toEqual({ name: 'B', landmarks: [] });

    const listed = await api.listProjects();
    expect(listed.map((p) => p.name)).toEqual(['B', 'A']);
    expect(listed[0]).not.toHaveProperty('landmarkSet');

    const opened = await api.openProject(a.path);
    expect(opened.landmarkSet).toEqual(landmarkSet);
    const onDisk = JSON.parse(await readFile(path.join(a.path, PROJECT_FILE), 'utf8'));
    expect(onDisk).toMatchObject({ format: 'onemark-project', version: 1, name: 'A' });
  });

  it('remembers projects opened outside the projects folder', async () => {
    const dir = path.join(tmp, 'external');
    await api.createProject({ path: dir, name: 'External' });
    // A fresh service over the same state dir still knows it: the recent list is on disk.
    const again = createApiService({ stateDir });
    expect((await again.listProjects()).map((p) => p.path)).toEqual([dir]);
  });

  it('refuses to create over an existing project and rejects bad arguments with clear errors', async () => {
    const dir = path.join(tmp, 'p');
    await api.createProject({ path: dir, name: 'P' });
    await expect(api.createProject({ path: dir, name: 'P2' })).rejects.toThrow(
      /already holds a OneMark project/,
    );
    await expect(api.openProject('relative/path')).rejects.toThrow(/absolute path/);
    await expect(api.openProject(42 as unknown as string)).rejects.toThrow(/expected a path string/);
    await expect(api.createProject({ path: path.join(tmp, 'q'), name: '  ' })).rejects.toThrow(/non-empty/);
    await expect(
      api.createProject({
        path: path.join(tmp, 'r'),
        name: 'R',
        landmarkSet: { name: 'bad', landmarks: [{ id: 0, name: 'zero' }] },
      }),
    ).rejects.toThrow(/1-based/);
  });

  it('names the file when a project cannot be opened', async () => {
    const empty = path.join(tmp, 'empty');
    await mkdir(empty);
    await expect(api.openProject(empty)).rejects.toThrow(`no OneMark project in ${empty}`);

    const broken = path.join(tmp, 'broken');
    await mkdir(broken);
    await writeFile(path.join(broken, PROJECT_FILE), '{ "format": "onemark-project", ');
    await expect(api.openProject(broken)).rejects.toThrow(`${path.join(broken, PROJECT_FILE)}: invalid JSON`);

    await writeFile(
      path.join(broken, PROJECT_FILE),
      JSON.stringify({ format: 'onemark-project', version: 7 }),
    );
    await expect(api.openProject(broken)).rejects.toThrow(/version 7 is not supported/);
  });

  it('a broken project does not hide the others in the list', async () => {
    await api.createProject({ path: path.join(stateDir, 'projects', 'good'), name: 'Good' });
    const bad = path.join(stateDir, 'projects', 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, PROJECT_FILE), 'garbage');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect((await api.listProjects()).map((p) => p.name)).toEqual(['Good']);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining(`${path.join(bad, PROJECT_FILE)}: invalid JSON`),
    );
    warn.mockRestore();
  });

  it('saves and loads annotations, checked against the project landmark set', async () => {
    const dir = path.join(tmp, 'ann');
    const created = await api.createProject({ path: dir, name: 'Ann', landmarkSet });
    expect(await api.loadAnnotations(dir)).toEqual({ landmarkSet, images: [], revision: 0 });

    const set: AnnotationSet = {
      landmarkSet,
      images: [
        {
          imageId: '125',
          landmarks: [
            { id: 1, point: { x: 10.5, y: 20 }, source: 'template' },
            { id: 2, point: null },
          ],
        },
      ],
    };
    expect(await api.saveAnnotations(dir, set)).toEqual({ revision: 1 });
    expect(await api.loadAnnotations(dir)).toEqual({ ...set, revision: 1 });
    expect((await api.openProject(dir)).modifiedAt > created.modifiedAt).toBe(true);

    const unknownId = structuredClone(set);
    unknownId.images[0].landmarks.push({ id: 9, point: { x: 1, y: 1 } });
    await expect(api.saveAnnotations(dir, unknownId)).rejects.toThrow(/id is not in the landmark set/);
    const badPoint = structuredClone(set);
    badPoint.images[0].landmarks[0].point = { x: Number.NaN, y: 1 };
    await expect(api.saveAnnotations(dir, badPoint)).rejects.toThrow(/finite/);
    // Nothing half-written: the file still holds the last good save.
    expect(await api.loadAnnotations(dir)).toEqual({ ...set, revision: 1 });
  });

  it('lists jobs and delivers job events until unsubscribed', async () => {
    const jobs = new JobRegistry();
    const svc = createApiService({ stateDir, jobs });
    const project = path.join(tmp, 'jobs');
    jobs.add({ id: 'j1', kind: 'train', projectPath: project, state: 'queued', createdAt: 'now' });
    jobs.add({
      id: 'j2',
      kind: 'predict',
      projectPath: path.join(tmp, 'other'),
      state: 'queued',
      createdAt: 'now',
    });

    const seen: string[] = [];
    const off = svc.onJobEvent((e) => seen.push(`${e.jobId}:${e.type}`));
    jobs.publish({ type: 'state', jobId: 'j1', state: 'running' });
    jobs.publish({ type: 'progress', jobId: 'j1', progress: 0.25, step: 25, totalSteps: 100 });
    off();
    jobs.publish({ type: 'state', jobId: 'j1', state: 'done' });

    expect(seen).toEqual(['j1:state', 'j1:progress']);
    const listed = await svc.listJobs(project);
    expect(listed).toEqual([expect.objectContaining({ id: 'j1', state: 'done', progress: 0.25 })]);
    expect(await svc.listJobs()).toHaveLength(2);
    expect(() => jobs.publish({ type: 'state', jobId: 'nope', state: 'done' })).toThrow(/unknown job nope/);
  });
});
