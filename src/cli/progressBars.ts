/**
 * Progress bars for a run's event stream on stderr: one bar per stage, and per landmark for the
 * stages that train one model per landmark. Shared by train, predict and the cluster commands.
 */
import type { ProgressEvent, ProgressStream } from '../runs/progress';
import { createProgress, type Progress } from './progress';

export interface ProgressBarOptions {
  enabled?: boolean;
  /** Where bars and notes go (default: stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Name of landmark `n` (1-based, ProgressEvent.landmark) for per-landmark stages. */
  landmarkName?: (n: number) => string | undefined;
}

/** "sla landmark 3 (Gonion)": the stage, and the landmark when the event names one. */
export function progressLabel(e: ProgressEvent, landmarkName?: (n: number) => string | undefined): string {
  if (e.landmark === undefined) return e.stage;
  const name = landmarkName?.(e.landmark);
  return `${e.stage} landmark ${e.landmark}${name ? ` (${name})` : ''}`;
}

/**
 * Draws one progress bar per stage (and per landmark, for stages that report one) from a run's
 * event stream, on stderr unless told.
 */
export function attachProgressBars(
  stream: ProgressStream,
  enabledOrOptions: boolean | ProgressBarOptions = true,
): () => void {
  const o: ProgressBarOptions =
    typeof enabledOrOptions === 'boolean' ? { enabled: enabledOrOptions } : enabledOrOptions;
  const enabled = o.enabled ?? true;
  const out = o.stream ?? process.stderr;
  let bar: Progress | null = null;
  let label = '';
  const finish = () => {
    bar?.done();
    bar = null;
  };
  const off = stream.on((e: ProgressEvent) => {
    const l = progressLabel(e, o.landmarkName);
    if (l !== label) {
      finish();
      label = l;
      bar = createProgress({ total: e.total, label: l, enabled, stream: out });
    }
    if (e.message) {
      if (enabled) out.write(`${l}: ${e.message}\n`);
      return;
    }
    const note = [
      e.loss !== undefined ? `loss ${e.loss.toFixed(3)}` : '',
      e.itPerSec > 0 ? `${e.itPerSec.toFixed(2)} it/s` : '',
    ]
      .filter(Boolean)
      .join(' ');
    bar?.update(e.step, note);
    if (e.step >= e.total) finish();
  });
  return () => {
    finish();
    off();
  };
}
