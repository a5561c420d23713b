/**
 * The one training harness: the step's order (schedule, batch, zeroGrad, loss, backward, step),
 * training mode around the stage, and who frees what — on success and on error.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, noGrad } from '../../src/engine';
import { trainStage, type StageOptimizer, type TrainableNet } from '../../src/runs/trainStage';

function fakes(log: string[]) {
  const w = Tensor.from([2], [1]).requiresGrad_(true);
  const net: TrainableNet & { w: Tensor } = {
    w,
    state: () => ({ tensors: { w } }),
    loadState: () => undefined,
    train: (on) => void log.push(`train(${on})`),
    dispose: () => void log.push('net.dispose'),
  };
  const optimizer: StageOptimizer = {
    state: () => ({ tensors: {} }),
    loadState: () => undefined,
    setLr: (lr) => void log.push(`lr ${lr}`),
    zeroGrad: () => void log.push('zeroGrad'),
    step: () =>
      noGrad(() => {
        log.push('step');
        w.sub_(w.grad!.mul(0.25));
        w.grad!.zero_();
      }),
    dispose: () => void log.push('optim.dispose'),
  };
  return { net, optimizer };
}

describe('trainStage', () => {
  it('runs the step in order, reports the loss and hands the trained net back in eval mode', async () => {
    const log: string[] = [];
    const parts = fakes(log);
    const { net, result } = await trainStage({
      stage: 'toy',
      total: 2,
      seed: 1,
      checkpointEvery: 0,
      build: () => parts,
      schedule: (step) => 0.1 / (step + 1),
      batch: (step) => (log.push(`batch ${step}`), step),
      loss: (n) => (log.push('loss'), n.w.square().sum()),
      report: (loss) => loss / 2,
      owned: [{ dispose: () => log.push('owned.dispose') }],
    });
    expect(log).toEqual([
      'train(true)',
      'lr 0.1',
      'batch 0',
      'zeroGrad',
      'loss',
      'step',
      'lr 0.05',
      'batch 1',
      'zeroGrad',
      'loss',
      'step',
      'optim.dispose',
      'train(false)',
      'owned.dispose',
    ]);
    expect(net).toBe(parts.net);
    // w: 2 → 2 − 0.25·4 = 1; the second step's loss is 1² / 2.
    expect(result).toMatchObject({ ran: 2, lastLoss: 0.5, aborted: false });
    net.w.dispose();
  });

  it('frees the net, the optimiser and what it was handed when a step fails', async () => {
    const log: string[] = [];
    const parts = fakes(log);
    await expect(
      trainStage({
        stage: 'toy',
        total: 3,
        seed: 1,
        checkpointEvery: 0,
        build: () => parts,
        batch: () => null,
        loss: (n) => n.w.mul(NaN).sum(),
        owned: [{ dispose: () => log.push('owned.dispose') }],
      }),
    ).rejects.toThrow(/toy: loss is NaN at step 1/);
    expect(log.slice(-3)).toEqual(['net.dispose', 'optim.dispose', 'owned.dispose']);
    parts.net.w.dispose();
  });
});
