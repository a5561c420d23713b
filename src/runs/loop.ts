/**
 * The step loop every trainer shares: resume from the stage's newest checkpoint, reseed per step
 * (so resuming is exact), report progress, checkpoint every N steps and at the end, and stop
 * cleanly (with a checkpoint) when asked.
 */
import { autocast, liveTensors, type Device, type Precision, type Tensor } from '../engine';
import { disposeGroups, loadCheckpoint, prunePeriodic, resumePoint, saveCheckpoint } from './checkpoint';
import type { RunLayout } from './layout';
import { StageMeter, type ProgressStream } from './progress';
import { seedStep } from './seeding';

/** Anything whose state goes into a checkpoint (a model, an optimiser). */
export interface Checkpointable {
  /**
   * The full state: named tensors (only read by the loop, never disposed) and plain numbers
   * (step counts, rates), which go into the checkpoint's metadata.
   */
  state(): ComponentState;
  /** Restores from a state of the same names; the loop disposes the tensors afterwards. */
  loadState(state: ComponentState): void;
}

export interface ComponentState {
  tensors: Record<string, Tensor>;
  numbers?: Record<string, number>;
}

export interface StageOptions {
  stage: string;
  total: number;
  seed: number;
  layout?: RunLayout;
  checkpointEvery: number;
  components: Record<string, Checkpointable>;
  /** Where the step computes, and in which precision (default fp32: the step runs as written). */
  device?: Device;
  precision?: Precision;
  /** Runs step `step` (0-based) and returns its loss. Must dispose its own tensors. */
  step: (step: number) => number;
  progress?: ProgressStream;
  signal?: AbortSignal;
  /** Periodic checkpoints kept on disk (the final one is always kept). */
  keep?: number;
  /** Extra metadata for every checkpoint. */
  meta?: Record<string, unknown>;
  /**
   * Return after this many completed steps without a final checkpoint, as a kill would leave the
   * run (only periodic checkpoints on disk). For tests and for splitting a stage over calls.
   */
  stopAfter?: number;
  /** Called after each step with the live-tensor count (tests watch for leaks). */
  onLive?: (step: number, live: number) => void;
}

export interface StageResult {
  /** Step the stage started from (0, or the resumed checkpoint's step). */
  startedAt: number;
  /** Steps actually run in this call. */
  ran: number;
  lastLoss: number | undefined;
  /** True when training stopped early because of the abort signal. */
  aborted: boolean;
}

export class StageAborted extends Error {
  constructor(stage: string, step: number) {
    super(`${stage} stopped at step ${step} (checkpoint saved)`);
    this.name = 'StageAborted';
  }
}

function stateOf(components: Record<string, Checkpointable>): {
  groups: Record<string, Record<string, Tensor>>;
  numbers: Record<string, Record<string, number>>;
} {
  const groups: Record<string, Record<string, Tensor>> = {};
  const numbers: Record<string, Record<string, number>> = {};
  for (const [k, c] of Object.entries(components)) {
    const st = c.state();
    groups[k] = st.tensors;
    numbers[k] = st.numbers ?? {};
  }
  return { groups, numbers };
}

/** Restores components from the stage's resume point, if any; returns the step to continue at. */
export function restoreStage(
  layout: RunLayout | undefined,
  stage: string,
  components: Record<string, Checkpointable>,
): { step: number; final: boolean } {
  if (!layout) return { step: 0, final: false };
  const file = resumePoint(layout, stage);
  if (!file) return { step: 0, final: false };
  const ck = loadCheckpoint(file);
  try {
    const numbers = (ck.meta.extra?.numbers ?? {}) as Record<string, Record<string, number>>;
    for (const [k, c] of Object.entries(components)) {
      const g = ck.groups[k];
      if (!g && !numbers[k]) throw new Error(`checkpoint ${file}: no state for "${k}"`);
      c.loadState({ tensors: g ?? {}, numbers: numbers[k] ?? {} });
    }
  } finally {
    disposeGroups(ck.groups);
  }
  return { step: ck.meta.step, final: ck.meta.final };
}

export async function runStage(o: StageOptions): Promise<StageResult> {
  const { step: start, final } = restoreStage(o.layout, o.stage, o.components);
  const meter = new StageMeter(o.progress, o.stage, o.total);
  if (final || start >= o.total) {
    meter.note(start, `${o.stage} already finished`);
    return { startedAt: start, ran: 0, lastLoss: undefined, aborted: false };
  }
  if (start > 0) meter.note(start, `resumed at step ${start}`);
  o.layout?.ensureStage(o.stage);
  let lastLoss: number | undefined;
  let s = start;
  const save = async (final: boolean) => {
    if (!o.layout) return;
    const file = final ? o.layout.finalCheckpoint(o.stage) : o.layout.stepCheckpoint(o.stage, s);
    const { groups, numbers } = stateOf(o.components);
    await saveCheckpoint(file, groups, {
      stage: o.stage,
      step: s,
      final,
      extra: { loss: lastLoss, ...o.meta, numbers },
    });
    if (!final) prunePeriodic(o.layout, o.stage, o.keep ?? 2);
    meter.resetClock();
  };
  while (s < o.total) {
    if (o.signal?.aborted) {
      await save(false);
      return { startedAt: start, ran: s - start, lastLoss, aborted: true };
    }
    seedStep(o.seed, o.stage, s);
    // The whole step under autocast: the forward ops it lists run in bf16/fp16; backward and
    // optimiser ops are not on its lists and keep the dtypes autograd and the parameters give.
    lastLoss = autocast(o.device ?? 'cpu', o.precision ?? 'fp32', () => o.step(s));
    if (!Number.isFinite(lastLoss)) {
      throw new Error(
        `${o.stage}: loss is ${lastLoss} at step ${s + 1}; lower the learning rate or check the inputs`,
      );
    }
    s++;
    o.onLive?.(s, liveTensors());
    meter.tick(s, lastLoss);
    if (o.checkpointEvery > 0 && s % o.checkpointEvery === 0 && s < o.total) await save(false);
    if (o.stopAfter !== undefined && s >= o.stopAfter && s < o.total) {
      return { startedAt: start, ran: s - start, lastLoss, aborted: true };
    }
    // Let I/O, timers and signals run between steps.
    await new Promise((r) => setImmediate(r));
  }
  await save(true);
  return { startedAt: start, ran: s - start, lastLoss, aborted: false };
}
