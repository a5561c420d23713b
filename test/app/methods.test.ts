/**
 * The methods as the app's API offers them (listMethods) and startTraining's checks of a request
 * against them: one list shared with the CLI (src/methods/catalog.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainingJobRequest } from '../../src/api/service/methods';
import { createApiService } from '../../src/api/service/service';
import type { OneMarkApi, TrainingRequest } from '../../src/api/contract/types';
import { METHOD_INFO, METHOD_NAMES } from '../../src/methods/catalog';

let tmp: string;
let api: OneMarkApi;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-api-methods-'));
  api = createApiService({ stateDir: path.join(tmp, 'state') });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const req = (extra: Partial<TrainingRequest>): TrainingRequest => ({
  projectPath: '/p',
  method: 'sla',
  preset: 'tiny',
  device: 'cpu',
  ...extra,
});

describe('listMethods', () => {
  it('lists every method of the catalog, cc2d first, with the request fields each one reads', async () => {
    const list = await api.listMethods();
    expect(list.map((m) => m.name)).toEqual(METHOD_NAMES);
    expect(list[0].name).toBe('cc2d');
    for (const m of list) {
      expect(m.title).toBe(METHOD_INFO[m.name].title);
      expect(m.describe).toBe(METHOD_INFO[m.name].describe);
      expect(m.presets).toEqual(['tiny', 'quick', 'full']);
    }
    const by = Object.fromEntries(list.map((m) => [m.name, m]));
    expect(by.cc2d.settings).toEqual(['stage1Iterations', 'stage2Iterations']);
    expect(by.f2.settings).toEqual(['stage1Iterations', 'stage2Iterations', 'fineIterations']);
    expect(by.sla.modelCount).toBe('per-landmark');
    expect(by.adapter.modelCount).toBe(1);
    expect(by.f2.modelCount).toBe(3);
    // The Slurm backend's methods, from the catalog's settings rather than their names.
    expect(list.filter((m) => m.trainsInParts).map((m) => m.name)).toEqual(['sla', 'atd']);
    // Plain data: it crosses IPC and HTTP.
    expect(structuredClone(list)).toEqual(list);
  });
});

describe('startTraining checks', () => {
  it('accepts every method and passes on only the fields given', () => {
    for (const method of METHOD_NAMES)
      expect(trainingJobRequest(req({ method, seed: 3, stage2Iterations: 5 }))).toEqual({
        method,
        preset: 'tiny',
        device: 'cpu',
        seed: 3,
        stage2Iterations: 5,
      });
    expect(trainingJobRequest(req({ method: 'f2', fineIterations: 4 }))).toMatchObject({ fineIterations: 4 });
  });

  it('refuses unknown methods and fields the method does not read, naming them', async () => {
    expect(() => trainingJobRequest(req({ method: 'nope' as never }))).toThrow(
      /method 'nope' is not available \(available: cc2d, sla, atd, adapter, f2\)/,
    );
    expect(() => trainingJobRequest(req({ method: 'adapter', fineIterations: 4 }))).toThrow(
      /startTraining: fineIterations does not apply to method adapter: only f2 has a fine stage/,
    );
    expect(() => trainingJobRequest(req({ stage1Iterations: -1 }))).toThrow(
      /stage1Iterations must be a non-negative integer/,
    );
    expect(() => trainingJobRequest(req({ preset: 'huge' as never }))).toThrow(/preset 'huge' is unknown/);
    // Through the service: the check runs before anything about the project's images.
    const project = path.join(tmp, 'p');
    await api.createProject({ path: project, name: 'p' });
    await expect(
      api.startTraining({ ...req({ method: 'cc2d', fineIterations: 2 }), projectPath: project }),
    ).rejects.toThrow(/fineIterations does not apply to method cc2d/);
    await expect(api.startTraining({ ...req({ method: 'atd' }), projectPath: project })).rejects.toThrow(
      /choose and mark a template image first/,
    );
  });
});
