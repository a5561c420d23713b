/**
 * What the engine process does for one training job: train the requested method (any entry of
 * src/methods/registry.ts) on the project's images from its template, then predict every image.
 * Runs in its own process (src/api/worker/engine-worker.ts) because it loads libtorch: a crash or a long
 * run never touches the window or the server.
 *
 * Progress goes to PROJECT/runs/<id>/progress.jsonl (and stdout) as JSON lines; the state to
 * status.json. Resuming is the method's own: a run folder with a config continues from its
 * newest checkpoint, so a killed process restarted on the same folder picks up where it was.
 * Methods other than cc2d train their CC2D stage 1 inside the run folder (model/cc2d).
 */
import { checkDevice } from '../../engine';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadScaledImage, pointsInSetOrder } from '../../data';
import type { AnnotationSet } from '../../data/types';
import { setNumThreads } from '../../engine';
import { configureFor, getMethod, trainingStages, type TrainSettings } from '../../methods/registry';
import type { ImageRef } from '../../runs/imageStack';
import { appendJsonLine } from '../../runs/eventsLog';
import { ProgressStream, type ProgressEvent } from '../../runs/progress';
import {
  CANCEL_FILE,
  MODEL_DIR,
  PREDICTIONS_FILE,
  PROGRESS_FILE,
  readJobFile,
  writeStatus,
  type ProgressLine,
} from '../disk/job-files';
import {
  ANNOTATIONS_FILE,
  CACHE_DIR,
  imageAbsolutePath,
  readJson,
  readProject,
  writeJsonAtomic,
} from '../disk/project-file';
import { validateAnnotationSet } from '../disk/validate';
import { type PresetName } from '../../methods/shared/presets';

/**
 * Maps stage events to one 0..1 figure for the whole job, never going backwards: image caching
 * 0–5 %, the training stages (e.g. stage1, sla, fine: as trainingStages lists them) 5–90 % in
 * proportion to their steps, prediction 90–100 %.
 */
export function overallProgress(stages: { stage: string; steps: number }[]): (e: ProgressEvent) => number {
  const train = Math.max(
    1,
    ...stages.map((s) => s.steps),
    stages.reduce((a, s) => a + s.steps, 0),
  );
  const before = new Map<string, number>();
  let acc = 0;
  for (const s of stages) {
    before.set(s.stage, acc);
    acc += s.steps;
  }
  const steps = new Map(stages.map((s) => [s.stage, s.steps]));
  let last = 0;
  return (e) => {
    const f = e.total > 0 ? Math.min(1, e.step / e.total) : 0;
    let v: number;
    if (e.stage.startsWith('cache')) v = 0.05 * f;
    else if (before.has(e.stage))
      v = 0.05 + (0.85 * (before.get(e.stage)! + steps.get(e.stage)! * f)) / train;
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
  // Throws "unknown method 'x' (available: ...)" for a method this engine does not have.
  const entry = getMethod(req.method);
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

  const settings: TrainSettings = {
    stage1Iterations: req.stage1Iterations,
    stage2Iterations: req.stage2Iterations,
    fineIterations: req.fineIterations,
  };
  const configure = configureFor(entry.name, settings);
  const seed = req.seed ?? 1;
  // The config the run will train with (a resumed run keeps its saved one: same request, same config).
  const device = checkDevice(req.device);
  const config = entry.config(req.preset as PresetName, { seed, device });
  configure(config);

  const cacheDir = path.join(projectPath, CACHE_DIR);
  const refs: ImageRef[] = project.images.map((im) => {
    const file = imageAbsolutePath(projectPath, im.file);
    return { id: im.id, load: (longSide: number) => loadScaledImage(file, longSide, { cacheDir }) };
  });

  const progressFile = path.join(dir, PROGRESS_FILE);
  const toOverall = overallProgress(trainingStages(entry.name, config));
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
    const text = appendJsonLine(progressFile, line);
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
  const result = await entry.train({
    preset: req.preset as PresetName,
    seed,
    device,
    configure,
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
  if (result.stopped) {
    const cancelled = existsSync(path.join(dir, CANCEL_FILE));
    await writeStatus(
      dir,
      cancelled ? 'cancelled' : 'failed',
      cancelled ? 'cancelled by the user' : 'stopped',
    );
    return;
  }

  const set: AnnotationSet = await entry.predict(modelDir, refs, { progress: stream });
  set.meta = {
    ...set.meta,
    job: job.id,
    method: entry.name,
    preset: result.preset,
    seed: result.seed,
  };
  for (const img of set.images) for (const v of img.landmarks) v.source = 'prediction';
  await writeJsonAtomic(path.join(dir, PREDICTIONS_FILE), set);
  stream.emit({ stage: 'done', step: 1, total: 1, itPerSec: 0, etaSec: 0, message: 'predictions written' });
  await writeStatus(dir, 'done');
}
