/**
 * What the engine process does for one training job: train CC2D on the project's images from
 * its template, then predict every image. Runs in its own process (src/api/engine-worker.ts)
 * because it loads libtorch: a crash or a long run never touches the window or the server.
 *
 * Progress goes to PROJECT/runs/<id>/progress.jsonl (and stdout) as JSON lines; the state to
 * status.json. Resuming is the method's own: a run folder with a config continues from its
 * newest checkpoint, so a killed process restarted on the same folder picks up where it was.
 */
import { existsSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { loadScaledImage, pointsInSetOrder } from '../data';
import type { AnnotationSet } from '../data/types';
import { setNumThreads } from '../engine';
import { presetConfig, type PresetName } from '../methods/cc2d/config';
import { Cc2dPredictor } from '../methods/cc2d/predict';
import { trainCc2d } from '../methods/cc2d/train';
import type { ImageRef } from '../runs/imageStack';
import { ProgressStream, type ProgressEvent } from '../runs/progress';
import {
  CANCEL_FILE,
  MODEL_DIR,
  PREDICTIONS_FILE,
  PROGRESS_FILE,
  readJobFile,
  writeStatus,
  type ProgressLine,
} from './job-files';
import {
  ANNOTATIONS_FILE,
  CACHE_DIR,
  imageAbsolutePath,
  readJson,
  readProject,
  writeJsonAtomic,
} from './project-file';
import { validateAnnotationSet } from './validate';

/** Maps stage events to one 0..1 figure for the whole job, never going backwards. */
export function overallProgress(s1: number, s2: number): (e: ProgressEvent) => number {
  const train = Math.max(1, s1 + s2);
  let last = 0;
  return (e) => {
    const f = e.total > 0 ? Math.min(1, e.step / e.total) : 0;
    let v: number;
    if (e.stage.startsWith('cache')) v = 0.05 * f;
    else if (e.stage === 'stage1') v = 0.05 + (0.85 * s1 * f) / train;
    else if (e.stage === 'stage2') v = 0.05 + (0.85 * (s1 + s2 * f)) / train;
    else if (e.stage === 'predict') v = 0.9 + 0.1 * f;
    else v = last; // pseudo-labels and notes: hold
    last = Math.max(last, v);
    return last;
  };
}

export async function runTrainingJob(dir: string, signal: AbortSignal): Promise<void> {
  const job = await readJobFile(dir);
  const projectPath = path.dirname(path.dirname(dir));
  const project = await readProject(projectPath);
  const req = job.request;
  if (req.method !== 'cc2d') throw new Error(`method ${req.method} is not available (available: cc2d)`);
  if (!project.templateImageId) throw new Error(`project ${projectPath}: no template image chosen`);
  const annotations = validateAnnotationSet(
    await readJson(path.join(projectPath, ANNOTATIONS_FILE), `project ${projectPath} has no annotations`),
    path.join(projectPath, ANNOTATIONS_FILE),
  );
  const templ = annotations.images.find((a) => a.imageId === project.templateImageId);
  const templatePoints = pointsInSetOrder(templ?.landmarks ?? null, project.landmarkSet);
  if (templatePoints.every((p) => p === null)) {
    throw new Error(`template ${project.templateImageId} has no marked landmarks; mark them first`);
  }
  if (project.images.length < 2) throw new Error('training needs the template and at least one more image');

  const threads = Number(process.env.ONEMARK_THREADS ?? 0);
  if (Number.isInteger(threads) && threads > 0) setNumThreads(threads);

  const config = presetConfig(req.preset as PresetName, { seed: req.seed ?? 1, device: req.device });
  if (req.stage1Iterations !== undefined) config.stage1.iterations = req.stage1Iterations;
  if (req.stage2Iterations !== undefined) config.stage2.iterations = req.stage2Iterations;

  const cacheDir = path.join(projectPath, CACHE_DIR);
  const refs: ImageRef[] = project.images.map((im) => {
    const file = imageAbsolutePath(projectPath, im.file);
    return { id: im.id, load: (longSide: number) => loadScaledImage(file, longSide, { cacheDir }) };
  });

  const progressFile = path.join(dir, PROGRESS_FILE);
  const toOverall = overallProgress(
    config.stage1.iterations,
    config.stage2.enabled ? config.stage2.iterations : 0,
  );
  const stream = new ProgressStream();
  let lastWrite = 0;
  stream.on((e) => {
    const overall = toOverall(e);
    const now = Date.now();
    // Tiny runs step hundreds of times a second: keep notes, stage ends and ~5 lines a second.
    if (!e.message && e.step !== e.total && e.step !== 1 && now - lastWrite < 200) return;
    lastWrite = now;
    const line: ProgressLine = {
      t: new Date(now).toISOString(),
      stage: e.stage,
      step: e.step,
      total: e.total,
      overall,
      ...(e.loss !== undefined ? { loss: e.loss } : {}),
      etaSec: e.etaSec,
      ...(e.landmark !== undefined ? { landmark: e.landmark } : {}),
      ...(e.message ? { message: e.message } : {}),
    };
    const text = JSON.stringify(line);
    appendFileSync(progressFile, text + '\n');
    process.stdout.write(text + '\n');
  });

  await writeStatus(dir, 'running');
  const modelDir = path.join(dir, MODEL_DIR);
  const resume = existsSync(path.join(modelDir, 'config.json'));
  if (resume)
    stream.emit({
      stage: 'resume',
      step: 0,
      total: 0,
      itPerSec: 0,
      etaSec: 0,
      message: 'resuming from the last checkpoint',
    });
  const result = await trainCc2d({
    config,
    images: refs,
    templateId: project.templateImageId,
    templateLandmarks: templatePoints,
    landmarkSet: project.landmarkSet,
    runDir: modelDir,
    source: { images: projectPath, landmarks: path.join(projectPath, ANNOTATIONS_FILE) },
    resume,
    progress: stream,
    signal,
  });
  if (result.stopped || result.stage1.aborted) {
    const cancelled = existsSync(path.join(dir, CANCEL_FILE));
    await writeStatus(
      dir,
      cancelled ? 'cancelled' : 'failed',
      cancelled ? 'cancelled by the user' : 'stopped',
    );
    return;
  }

  const predictor = Cc2dPredictor.load(modelDir);
  let set: AnnotationSet;
  try {
    set = await predictor.predict(refs, { progress: stream });
  } finally {
    predictor.dispose();
  }
  set.meta = { ...set.meta, job: job.id, method: 'cc2d', preset: req.preset, seed: config.seed };
  for (const img of set.images) for (const v of img.landmarks) v.source = 'prediction';
  await writeJsonAtomic(path.join(dir, PREDICTIONS_FILE), set);
  stream.emit({ stage: 'done', step: 1, total: 1, itPerSec: 0, etaSec: 0, message: 'predictions written' });
  await writeStatus(dir, 'done');
}
