/**
 * `onemark demo`: the engine end to end in seconds. A tiny two-layer conv net learns to turn an
 * image with one bright dot (on noise) into a Gaussian heatmap of the dot, the smallest version of
 * what the landmark methods do. Progress (stage, step, loss, it/s, ETA) goes to stderr; the final
 * loss, the localisation error, the seed and the time go to stdout.
 */
import type { Command } from 'commander';
import {
  F,
  Tensor,
  getNumThreads,
  noGrad,
  seed as seedAll,
  setNumThreads,
  tidy,
  type Device,
} from '../../engine';
import { Conv2d, Module, ReLU, Sequential } from '../../engine/nn';
import { Adam, LRScheduler, cosineLR } from '../../engine/optim';
import { createProgress } from '../progress';

export interface DemoOptions {
  steps: number;
  batch: number;
  /** Image side in pixels. */
  size: number;
  lr: number;
  seed: number;
  device: Device;
  threads?: number;
  /** No progress bar. */
  quiet?: boolean;
  /** Where the summary goes (stdout by default); null prints nothing. */
  out?: NodeJS.WritableStream | null;
  progressStream?: NodeJS.WritableStream;
}

export interface DemoResult {
  initialLoss: number;
  finalLoss: number;
  /** Mean distance (pixels) between the heatmap's argmax and the dot on fresh images. */
  meanErrorPx: number;
  seed: number;
  steps: number;
  seconds: number;
  itPerSec: number;
}

export const DEMO_DEFAULTS: DemoOptions = {
  steps: 200,
  batch: 16,
  size: 32,
  lr: 1e-2,
  seed: 0,
  device: 'cpu',
};

const DOT_SIGMA = 1;
const HEAT_SIGMA = 2;

class DotNet extends Module {
  body: Sequential;
  constructor() {
    super();
    this.body = new Sequential(
      new Conv2d(1, 16, 5, { padding: 2 }),
      new ReLU(),
      new Conv2d(16, 1, 5, { padding: 2 }),
    );
  }
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}

/** Gaussian blobs [n, 1, size, size] centred at (cx, cy) (each [n]) with the given sigma. */
function blobs(cx: Tensor, cy: Tensor, size: number, sigma: number, device: Device): Tensor {
  return tidy(() => {
    const r = Tensor.arange(0, size, 1, { device });
    const dx = r.reshape([1, 1, 1, size]).sub(cx.reshape([-1, 1, 1, 1]));
    const dy = r.reshape([1, 1, size, 1]).sub(cy.reshape([-1, 1, 1, 1]));
    return dx
      .square()
      .add(dy.square())
      .mul(-1 / (2 * sigma * sigma))
      .exp();
  });
}

/** A batch: noisy images with one dot each, their target heatmaps and the dot positions. */
function makeBatch(
  n: number,
  size: number,
  device: Device,
): { x: Tensor; y: Tensor; cx: Tensor; cy: Tensor } {
  return tidy(() => {
    const margin = 3;
    const cx = Tensor.randint(margin, size - margin, [n], { device }).float();
    const cy = Tensor.randint(margin, size - margin, [n], { device }).float();
    const noise = Tensor.rand([n, 1, size, size], { device }).mul(0.3);
    const x = blobs(cx, cy, size, DOT_SIGMA, device).add(noise);
    const y = blobs(cx, cy, size, HEAT_SIGMA, device);
    return { x, y, cx, cy };
  });
}

export async function runDemo(partial: Partial<DemoOptions> = {}): Promise<DemoResult> {
  const o: DemoOptions = { ...DEMO_DEFAULTS, ...partial };
  if (!(o.steps >= 1 && o.batch >= 1 && o.size >= 8))
    throw new Error(`demo: need steps >= 1, batch >= 1, size >= 8 (got ${o.steps}, ${o.batch}, ${o.size})`);
  if (o.threads) setNumThreads(o.threads);
  seedAll(o.seed);
  const t0 = performance.now();
  const net = new DotNet();
  if (o.device !== 'cpu') net.to(o.device);
  const opt = new Adam(net.parameters(), { lr: o.lr });
  const sched = new LRScheduler(opt, cosineLR(o.steps, o.lr / 20));
  const progress = createProgress({
    total: o.steps,
    label: 'demo train',
    enabled: !o.quiet,
    stream: o.progressStream,
  });
  let initialLoss = NaN;
  let finalLoss = NaN;
  // Average of the last 10% of steps: one batch's loss is noisy.
  const tail: number[] = [];
  const tailLen = Math.max(1, Math.floor(o.steps / 10));
  for (let step = 1; step <= o.steps; step++) {
    const loss = tidy(() => {
      const { x, y } = makeBatch(o.batch, o.size, o.device);
      opt.zeroGrad();
      const l = F.mseLoss(net.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
    sched.step();
    if (step === 1) initialLoss = loss;
    tail.push(loss);
    if (tail.length > tailLen) tail.shift();
    const secs = (performance.now() - t0) / 1000;
    progress.update(step, `loss ${loss.toFixed(5)} ${(step / secs).toFixed(1)} it/s`);
  }
  finalLoss = tail.reduce((a, b) => a + b, 0) / tail.length;
  progress.done(`loss ${finalLoss.toFixed(5)}`);

  // Evaluate: argmax of the predicted heatmap vs the true dot, on images never trained on.
  net.eval();
  const meanErrorPx = noGrad(() =>
    tidy(() => {
      const { x, cx, cy } = makeBatch(256, o.size, o.device);
      const idx = net.forward(x).reshape([256, -1]).argmax(1);
      const px = idx.remainder(o.size).float();
      const py = idx.div(o.size, 'floor').float();
      return px.sub(cx).square().add(py.sub(cy).square()).sqrt().mean().item();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  net.dispose();
  opt.dispose();
  const result: DemoResult = {
    initialLoss,
    finalLoss,
    meanErrorPx,
    seed: o.seed,
    steps: o.steps,
    seconds,
    itPerSec: o.steps / seconds,
  };
  const out = o.out === undefined ? process.stdout : o.out;
  if (out) {
    out.write(
      [
        `demo: 2-layer conv net, dot -> heatmap, ${o.size}x${o.size}, batch ${o.batch}, ${o.steps} steps on ${o.device} (${getNumThreads()} threads)`,
        `loss: ${initialLoss.toFixed(5)} -> ${finalLoss.toFixed(5)} (mean of the last ${tailLen} steps)`,
        `localisation error on 256 new images: ${meanErrorPx.toFixed(2)} px`,
        `seed: ${o.seed}`,
        `time: ${seconds.toFixed(1)} s (${result.itPerSec.toFixed(1)} it/s)`,
        '',
      ].join('\n'),
    );
  }
  return result;
}

function intArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train a tiny conv net on a synthetic dot-to-heatmap task (checks the engine end to end)')
    .option('--steps <n>', 'training steps', intArg('steps'), DEMO_DEFAULTS.steps)
    .option('--batch <n>', 'images per step', intArg('batch'), DEMO_DEFAULTS.batch)
    .option('--size <px>', 'image side in pixels', intArg('size'), DEMO_DEFAULTS.size)
    .option('--lr <rate>', 'Adam learning rate', (v) => Number(v), DEMO_DEFAULTS.lr)
    .option('--seed <n>', 'random seed', intArg('seed'), DEMO_DEFAULTS.seed)
    .option('--device <dev>', "'cpu', 'cuda' or 'cuda:N'", DEMO_DEFAULTS.device)
    .option('--threads <n>', 'libtorch threads (default: libtorch decides)', intArg('threads'))
    .option('--quiet', 'no progress bar')
    .action(async (opts: Partial<DemoOptions>) => {
      await runDemo(opts);
    });
}
