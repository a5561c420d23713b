/** What CC2D's two stages hand the harness alike: the run, where to report, when to stop. */
import type { RunLayout } from '../../runs/layout';
import type { ProgressStream } from '../../runs/progress';
import { runOptionsOf, type StageRunOptions } from '../../runs/trainStage';
import type { Cc2dConfig } from './config';

export interface Cc2dStageInput {
  config: Cc2dConfig;
  layout?: RunLayout;
  progress?: ProgressStream;
  signal?: AbortSignal;
  onLive?: (step: number, live: number) => void;
  /** Stop after this many steps in this call (tests simulate a kill); default: run to the end. */
  stopAfter?: number;
}

export function cc2dStageRun(
  o: Cc2dStageInput,
  stage: string,
  total: number,
  meta: Record<string, unknown> = {},
): StageRunOptions {
  return {
    stage,
    total,
    ...runOptionsOf(o.config),
    stopAfter: o.stopAfter,
    layout: o.layout,
    progress: o.progress,
    signal: o.signal,
    onLive: o.onLive,
    meta: { method: 'cc2d', preset: o.config.preset, ...meta },
  };
}
