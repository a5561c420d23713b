/**
 * The typed progress stream of a run. Trainers emit events; the CLI draws a bar from them today
 * and the app will relay them over IPC later, so events are plain JSON-able objects.
 */

export interface ProgressEvent {
  /** Which part of the run: 'cache', 'stage1', 'pseudo-labels', 'stage2', 'predict', ... */
  stage: string;
  /** Completed steps of this stage (1-based after the first step ends). */
  step: number;
  total: number;
  /** Smoothed loss of the stage's training objective, when it has one. */
  loss?: number;
  itPerSec: number;
  etaSec: number;
  /** Per-landmark detail (e.g. which landmark a per-landmark stage is on). */
  landmark?: number;
  /** Free-form note, e.g. 'checkpoint saved' or 'resumed at step 200'. */
  message?: string;
}

export type ProgressListener = (e: ProgressEvent) => void;

/** A minimal multi-listener emitter; listeners must not throw (errors are reported, not rethrown). */
export class ProgressStream {
  private listeners = new Set<ProgressListener>();

  on(l: ProgressListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: ProgressEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        console.error(`progress listener failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Rates and ETA for one stage. The rate is an exponential moving average over step durations so a
 * slow first step (allocation, caches) does not dominate; the loss is smoothed the same way.
 */
export class StageMeter {
  private last = performance.now();
  private secPerStep = 0;
  private lossAvg: number | undefined;
  private steps = 0;

  constructor(
    private readonly stream: ProgressStream | undefined,
    readonly stage: string,
    readonly total: number,
    private readonly smoothing = 0.1,
  ) {}

  /** Marks a finished step; `step` is the number of completed steps. */
  tick(step: number, loss?: number, extra: Partial<ProgressEvent> = {}): ProgressEvent {
    const now = performance.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    this.steps++;
    this.secPerStep = this.steps === 1 ? dt : this.secPerStep + this.smoothing * (dt - this.secPerStep);
    if (loss !== undefined && Number.isFinite(loss)) {
      this.lossAvg =
        this.lossAvg === undefined ? loss : this.lossAvg + this.smoothing * (loss - this.lossAvg);
    }
    const e: ProgressEvent = {
      stage: this.stage,
      step,
      total: this.total,
      loss: this.lossAvg,
      itPerSec: this.secPerStep > 0 ? 1 / this.secPerStep : 0,
      etaSec: Math.max(0, (this.total - step) * this.secPerStep),
      ...extra,
    };
    this.stream?.emit(e);
    return e;
  }

  /** Emits a note without counting a step (e.g. 'resumed at step 200'). */
  note(step: number, message: string): void {
    this.stream?.emit({ stage: this.stage, step, total: this.total, itPerSec: 0, etaSec: 0, message });
  }

  /** Restarts the clock, e.g. after a checkpoint write that should not count as step time. */
  resetClock(): void {
    this.last = performance.now();
  }
}

/**
 * Log lines for long unattended runs (benchmarks, GPU jobs writing to a file): every note, every
 * stage end, and otherwise at most one line per `everyMs`, stamped with seconds since `t0`.
 */
export function logProgress(
  stream: ProgressStream,
  write: (line: string) => void,
  opts: { t0?: number; everyMs?: number } = {},
): () => void {
  const t0 = opts.t0 ?? performance.now();
  const every = opts.everyMs ?? 15000;
  let last = -Infinity; // the first event always gets a line
  return stream.on((e) => {
    const now = performance.now();
    if (!(e.message || e.step === e.total || now - last > every)) return;
    last = now;
    const loss = e.loss !== undefined ? ` loss ${e.loss.toFixed(3)}` : '';
    const rate = e.itPerSec > 0 ? ` ${e.itPerSec.toFixed(2)} it/s ETA ${Math.round(e.etaSec)}s` : '';
    write(
      `[${((now - t0) / 1000).toFixed(0)}s] ${e.stage} ${e.step}/${e.total}${loss}${rate}${e.message ? ` ${e.message}` : ''}\n`,
    );
  });
}
