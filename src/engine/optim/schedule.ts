/**
 * Learning-rate schedules as pure functions of the step (or epoch) count, plus a scheduler that
 * applies one to an optimiser. Closed forms (not PyTorch's recursive updates), so a resumed run
 * gets exactly the rate it would have had: the state is one integer.
 *
 * A Schedule maps (t, baseLr) -> lr for t = 0, 1, 2, ... (t = 0 before the first scheduler step).
 */
export type Schedule = (t: number, baseLr: number) => number;

/** Constant rate. */
export const constantLR = (): Schedule => (_t, base) => base;

/** lr = base * gamma^floor(t / stepSize)  (torch.optim.lr_scheduler.StepLR). */
export function stepLR(stepSize: number, gamma = 0.1): Schedule {
  if (!(stepSize >= 1)) throw new Error(`stepLR: stepSize must be >= 1, got ${stepSize}`);
  return (t, base) => base * Math.pow(gamma, Math.floor(t / stepSize));
}

/** lr = base * gamma^(number of milestones <= t)  (MultiStepLR). */
export function multiStepLR(milestones: number[], gamma = 0.1): Schedule {
  const ms = [...milestones].sort((a, b) => a - b);
  return (t, base) => base * Math.pow(gamma, ms.filter((m) => m <= t).length);
}

/** Cosine from base down to etaMin over tMax steps, then held at etaMin (CosineAnnealingLR, one half-period). */
export function cosineLR(tMax: number, etaMin = 0): Schedule {
  if (!(tMax >= 1)) throw new Error(`cosineLR: tMax must be >= 1, got ${tMax}`);
  return (t, base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * Math.min(t, tMax)) / tMax))) / 2;
}

/**
 * Linear warm-up from base*startFactor to base over `warmupSteps`, then `after` (counted from the end
 * of the warm-up, so `after` sees t = 0 at the first full-rate step).
 */
export function linearWarmup(warmupSteps: number, after: Schedule = constantLR(), startFactor = 0): Schedule {
  if (!(warmupSteps >= 0)) throw new Error(`linearWarmup: warmupSteps must be >= 0, got ${warmupSteps}`);
  return (t, base) => {
    if (t < warmupSteps) return base * (startFactor + ((1 - startFactor) * t) / warmupSteps);
    return after(t - warmupSteps, base);
  };
}

/** What a scheduler drives: anything with param groups that carry an lr. */
export interface HasParamGroups {
  paramGroups: { lr: number }[];
}

export interface SchedulerState {
  t: number;
  baseLrs: number[];
}

/**
 * Applies a schedule to every param group. Call step() once per epoch or per iteration, after
 * optimizer.step(), as in PyTorch.
 */
export class LRScheduler {
  private t = 0;
  private baseLrs: number[];

  constructor(
    readonly optimizer: HasParamGroups,
    readonly schedule: Schedule,
  ) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  get lastStep(): number {
    return this.t;
  }

  /** Current rate of each group. */
  get lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    this.t += 1;
    this.apply();
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.schedule(this.t, this.baseLrs[i]);
    });
  }

  stateDict(): SchedulerState {
    return { t: this.t, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(s: SchedulerState): void {
    if (s.baseLrs.length !== this.optimizer.paramGroups.length) {
      throw new Error(
        `LRScheduler.loadStateDict: state has ${s.baseLrs.length} param groups, optimiser has ${this.optimizer.paramGroups.length}`,
      );
    }
    this.t = s.t;
    this.baseLrs = [...s.baseLrs];
    this.apply();
  }
}
