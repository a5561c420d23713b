/**
 * Review and export through the service, with a finished run written by hand (no engine):
 * corrections stay apart from predictions, exports pick values and images as asked, ground
 * truth turns on the evaluation.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStatus } from '../../src/api/disk/job-files';
import { writeJsonAtomic } from '../../src/api/disk/project-file';
import { createApiService } from '../../src/api/service/service';
import type { OneMarkApi } from '../../src/api/contract/types';
import { formatLandmarkCsv, parseLandmarkCsv } from '../../src/data';
import { SYNTH_LANDMARKS, writeSyntheticImages, type SyntheticImage } from '../e2e/synthetic';

let tmp: string;
let api: OneMarkApi;
let images: SyntheticImage[];
const landmarkSet = { name: 's', landmarks: SYNTH_LANDMARKS.map((name, i) => ({ id: i + 1, name })) };
const dir = () => path.join(tmp, 'p');

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-review-'));
  images = await writeSyntheticImages(path.join(tmp, 'scans'), 3);
  api = createApiService({ stateDir: path.join(tmp, 'state') });
  await api.createProject({ path: dir(), name: 'R', landmarkSet });
  await api.importImages(dir(), { paths: [path.join(tmp, 'scans')], mode: 'reference' });
  await api.setTemplate(dir(), 'img01');
  await api.saveAnnotations(dir(), {
    landmarkSet,
    images: [{ imageId: 'img01', landmarks: images[0].points.map((point, i) => ({ id: i + 1, point })) }],
  });
  const run = path.join(dir(), 'runs', '20260101-000000-test');
  await mkdir(run, { recursive: true });
  await writeJsonAtomic(path.join(run, 'predictions.json'), {
    landmarkSet,
    images: images.map((im) => ({
      imageId: im.id,
      landmarks: im.points.map((p, i) => ({
        id: i + 1,
        point: { x: p.x + 2, y: p.y },
        confidence: 0.5,
        source: 'prediction',
      })),
    })),
  });
  await writeStatus(run, 'done');
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

async function exported(req: Parameters<OneMarkApi['exportLandmarks']>[0]) {
  const r = await api.exportLandmarks(req);
  expect(r.files[0].startsWith(path.join(dir(), 'exports'))).toBe(true);
  return r;
}

describe('review and export', () => {
  it('exports predictions or corrected values, for all or reviewed images', async () => {
    await api.saveCorrection(dir(), 'img02', 1, { x: 1.5, y: 2.5 });
    await api.setReviewed(dir(), 'img02', true);
    const all = await exported({ projectPath: dir(), format: 'csv', images: 'all', values: 'corrected' });
    const set = parseLandmarkCsv(await readFile(all.files[0], 'utf8'), all.files[0]).set;
    expect(set.images.map((a) => a.imageId)).toEqual(['img01', 'img02', 'img03']);
    expect(set.images[0].landmarks[0]).toMatchObject({ point: images[0].points[0], source: 'template' });
    expect(set.images[1].landmarks[0]).toMatchObject({ point: { x: 1.5, y: 2.5 }, source: 'correction' });
    expect(set.images[2].landmarks[0]).toMatchObject({ source: 'prediction', confidence: 0.5 });

    const predicted = await exported({
      projectPath: dir(),
      format: 'json',
      images: 'reviewed',
      values: 'predicted',
    });
    const doc = await readFile(predicted.files[0], 'utf8');
    expect(predicted.imageCount).toBe(1);
    expect(doc).toContain('img02');
    expect(doc).not.toContain('"correction"');

    const slicer = await exported({
      projectPath: dir(),
      format: 'slicer',
      images: 'all',
      values: 'corrected',
    });
    expect(slicer.files.map((f) => path.basename(f)).sort()).toEqual([
      'img01.mrk.json',
      'img02.mrk.json',
      'img03.mrk.json',
    ]);
    expect((await readdir(path.dirname(slicer.files[0]))).length).toBe(3);
  });

  it('a new run does not touch corrections', async () => {
    const before = await readFile(path.join(dir(), 'corrections.json'), 'utf8');
    const run = path.join(dir(), 'runs', '20260102-000000-test');
    await mkdir(run, { recursive: true });
    await writeJsonAtomic(path.join(run, 'predictions.json'), { landmarkSet, images: [] });
    await writeStatus(run, 'done');
    const r = await api.loadReview(dir());
    expect(r.runId).toBe('20260102-000000-test');
    expect(await readFile(path.join(dir(), 'corrections.json'), 'utf8')).toBe(before);
    expect(r.corrections.images[0].imageId).toBe('img02');
    await rm(run, { recursive: true });
  });

  it('scores predictions against imported ground truth, in pixels without spacing', async () => {
    expect(await api.evaluate(dir(), 'predicted')).toBeNull();
    const gt = path.join(tmp, 'gt.csv');
    await writeFile(
      gt,
      formatLandmarkCsv({
        landmarkSet,
        images: images.map((im) => ({
          imageId: im.id,
          landmarks: im.points.map((point, i) => ({ id: i + 1, point })),
        })),
      }),
    );
    expect(await api.importGroundTruth(dir(), gt)).toBe(3);
    const ev = (await api.evaluate(dir(), 'predicted'))!;
    expect(ev.imageCount).toBe(2); // the template is not scored
    expect(ev.mre).toBeCloseTo(2, 9);
    expect(ev.perLandmark.map((l) => l.name)).toEqual([...SYNTH_LANDMARKS]);
    const corrected = (await api.evaluate(dir(), 'corrected'))!;
    expect(corrected.mre).not.toBeCloseTo(2, 3); // img02's correction changed the figures
  });

  it('explains a damaged corrections file', async () => {
    await writeFile(path.join(dir(), 'corrections.json'), '{"landmarkSet": ');
    await expect(api.loadReview(dir())).rejects.toThrow(/corrections\.json: invalid JSON/);
  });
});
