/**
 * The on-disk layout of a run directory. Everything a run writes lives under it, so `predict` and
 * `--resume` need nothing but its path:
 *
 *   RUN/config.json                      the typed RunConfig (seed, engine, device, data, method config)
 *   RUN/events.jsonl                     progress events, one JSON object per line
 *   RUN/template.json                    template id, its landmarks (original pixels) and size
 *   RUN/<stage>/config.json              a copy of RUN/config.json next to the stage's checkpoints
 *   RUN/<stage>/step-000200.safetensors  periodic checkpoint: model + optimiser state + step
 *   RUN/<stage>/final.safetensors        the stage's finished model (+ state, so it is resumable too)
 *   RUN/<stage>/<artefacts>              e.g. stage1/pseudo-labels.csv
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CONFIG_FILE = 'config.json';
export const EVENTS_FILE = 'events.jsonl';
export const TEMPLATE_FILE = 'template.json';
export const FINAL_CHECKPOINT = 'final.safetensors';

export class RunLayout {
  constructor(readonly root: string) {}

  get config(): string {
    return path.join(this.root, CONFIG_FILE);
  }
  get events(): string {
    return path.join(this.root, EVENTS_FILE);
  }
  get template(): string {
    return path.join(this.root, TEMPLATE_FILE);
  }
  stageDir(stage: string): string {
    return path.join(this.root, stage);
  }
  stepCheckpoint(stage: string, step: number): string {
    return path.join(this.stageDir(stage), `step-${String(step).padStart(6, '0')}.safetensors`);
  }
  finalCheckpoint(stage: string): string {
    return path.join(this.stageDir(stage), FINAL_CHECKPOINT);
  }
  artefact(stage: string, name: string): string {
    return path.join(this.stageDir(stage), name);
  }

  /** Periodic checkpoints of a stage, ascending by step. */
  stepCheckpoints(stage: string): { step: number; file: string }[] {
    const dir = this.stageDir(stage);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .map((f) => /^step-(\d+)\.safetensors$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ step: Number(m[1]), file: path.join(dir, m[0]) }))
      .sort((a, b) => a.step - b.step);
  }

  hasFinal(stage: string): boolean {
    return fs.existsSync(this.finalCheckpoint(stage));
  }

  ensureStage(stage: string): string {
    const dir = this.stageDir(stage);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }
}
