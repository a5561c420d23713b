/**
 * The one training harness: every method's stage is a description (network, optimiser, learning-rate
 * schedule, batch source, loss) handed to `trainStage`, which owns the step — `tidy`, `zeroGrad`,
 * forward and loss, `backward`, optimiser `step` — and, through `runStage`, seeding, checkpoints,
 * resume, progress and abort. It builds the network and optimiser from the run's seed, so the same
 * config gives the same weights, and owns what it was handed: the optimiser is always freed (its
 * state lives in the checkpoints), the network on error, `owned` resources at the end.
 */
import { tidy, type Device, type Precision, type Tensor } from '../engine';
import { runStage, type Checkpointable, type StageOptions, type StageResult } from './loop';
import { seedStep } from './seeding';

/** A network as the harness drives it: checkpointed, switched between train and eval, freed. */
export interface TrainableNet extends Checkpointable {
  train(on: boolean): void;
  dispose(): void;
}

/** An optimiser as the harness drives it. */
export interface StageOptimizer extends Checkpointable {
  setLr(lr: number): void;
  zeroGrad(): void;
  step(): void;
  dispose(): void;
}

/** runStage's options the harness passes through unchanged (where, how long, what to report). */
export type StageRunOptions = Omit<StageOptions, 'components' | 'step'>;

/** The fields of a method's config that say how each of its stages runs. */
export interface StageRunConfig {
  seed: number;
  device: Device;
  precision?: Precision;
  checkpointEvery: number;
}

/** The run options a stage takes from its method's config (fp32 when it names no precision). */
export function runOptionsOf(
  config: StageRunConfig,
): Pick<StageRunOptions, 'seed' | 'device' | 'precision' | 'checkpointEvery'> {
  return {
    seed: config.seed,
    device: config.device,
    precision: config.precision ?? 'fp32',
    checkpointEvery: config.checkpointEvery,
  };
}

export interface StageDescription<N extends TrainableNet, B> extends StageRunOptions {
  /** Network and optimiser, built after seeding `<stage>-init` with the run's seed. */
  build: () => { net: N; optimizer: StageOptimizer };
  /** Sets training mode at the start (default `net.train(true)`; e.g. a frozen encoder stays in eval). */
  trainMode?: (net: N) => void;
  /** Learning rate of step `step` (0-based); the optimiser's rate stays as built when absent. */
  schedule?: (step: number) => number;
  /** Host-side work before the step's batch (e.g. refreshing pseudo-labels). */
  beforeStep?: (net: N, step: number) => void;
  /** Draws the step's batch on the host (random choices happen here, in this order). */
  batch: (step: number) => B;
  /** Forward pass and loss of one batch; runs inside the step's `tidy`. */
  loss: (net: N, batch: B) => Tensor;
  /** The number reported for the step's loss (default: the loss's value). */
  report?: (loss: number) => number;
  /** Further checkpointed state, saved after the network (`model`) and optimiser (`optim`). */
  extraState?: Record<string, Checkpointable>;
  /** Freed when the stage ends, however it ends. */
  owned?: readonly { dispose(): void }[];
}

export interface TrainedStage<N> {
  /** The trained network in eval mode; the caller owns it from here. */
  net: N;
  result: StageResult;
}

export async function trainStage<N extends TrainableNet, B>(
  d: StageDescription<N, B>,
): Promise<TrainedStage<N>> {
  const { build, trainMode, schedule, beforeStep, batch, loss, report, extraState, owned, ...run } = d;
  try {
    // Weights are initialised from the run's seed: the same config gives the same network.
    seedStep(d.seed, `${d.stage}-init`, 0);
    const { net, optimizer } = build();
    let result: StageResult;
    try {
      if (trainMode) trainMode(net);
      else net.train(true);
      result = await runStage({
        ...run,
        components: { model: net, optim: optimizer, ...extraState },
        step: (step) => {
          beforeStep?.(net, step);
          if (schedule) optimizer.setLr(schedule(step));
          const drawn = batch(step);
          const value = tidy(() => {
            optimizer.zeroGrad();
            const total = loss(net, drawn);
            total.backward();
            optimizer.step();
            return total.item();
          });
          return report ? report(value) : value;
        },
      });
    } catch (e) {
      net.dispose();
      throw e;
    } finally {
      optimizer.dispose();
    }
    net.train(false);
    return { net, result };
  } finally {
    for (const r of owned ?? []) r.dispose();
  }
}
