/**
 * The optimiser every method trains with (Adam) as the harness drives it, its state as a
 * checkpoint component, and the closed-form step schedule.
 */
import { Tensor, noGrad } from '../../engine';
import { Adam, stepLR, type Optimizer as EngineOptimizer, type ParamState } from '../../engine/optim';
import type { Checkpointable } from '../../runs/loop';
import type { StageOptimizer } from '../../runs/trainStage';

export type Optimizer = StageOptimizer;

/**
 * The optimiser's state as flat named tensors "{param index}.{key}", plus its numbers
 * ("{param index}.{key}", e.g. Adam's step count, and "lr") for the checkpoint's metadata.
 */
function optimizerState(opt: EngineOptimizer): Checkpointable {
  return {
    state: () => {
      const sd = opt.stateDict();
      const tensors: Record<string, Tensor> = {};
      const numbers: Record<string, number> = { lr: opt.paramGroups[0].lr };
      for (const [i, s] of sd.state) {
        for (const [k, v] of Object.entries(s)) {
          if (v instanceof Tensor) tensors[`${i}.${k}`] = v;
          else numbers[`${i}.${k}`] = v;
        }
      }
      return { tensors, numbers };
    },
    loadState: ({ tensors, numbers = {} }) => {
      const state = new Map<number, ParamState>();
      const put = (name: string, v: Tensor | number) => {
        const m = /^(\d+)\.(.+)$/.exec(name);
        if (!m) return;
        const i = Number(m[1]);
        const s = state.get(i) ?? {};
        s[m[2]] = v;
        state.set(i, s);
      };
      for (const [name, t] of Object.entries(tensors)) put(name, t);
      for (const [name, v] of Object.entries(numbers)) put(name, v);
      const sd = opt.stateDict();
      opt.loadStateDict({ state, paramGroups: sd.paramGroups });
      if (numbers.lr !== undefined) for (const g of opt.paramGroups) g.lr = numbers.lr;
    },
  };
}

export function makeAdam(net: { parameters(): Tensor[] }, lr: number, weightDecay: number): Optimizer {
  const opt = new Adam(net.parameters(), { lr, weightDecay });
  const st = optimizerState(opt);
  return {
    setLr: (v) => {
      for (const g of opt.paramGroups) g.lr = v;
    },
    zeroGrad: () => opt.zeroGrad(),
    step: () => noGrad(() => opt.step()),
    dispose: () => opt.dispose(),
    ...st,
  };
}

/** lr at step s of a step schedule (closed form: resume needs no scheduler state). */
export function stepLr(base: number, gamma: number, every: number, s: number): number {
  return stepLR(Math.max(1, every), gamma)(s, base);
}
