/** `onemark train --precision`: checked against the device, recorded in the run, honoured by training. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuHasBf16 } from '../../src/engine';
import { runInProcess, tempDir, tinyTrainArgs, writeSyntheticFolder, type SyntheticFolder } from './helpers';

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: SyntheticFolder;
beforeAll(async () => {
  tmp = await tempDir('onemark-cli-precision-');
  data = await writeSyntheticFolder(tmp.dir, { n: 4, size: 64, seed: 2 });
});
afterAll(() => tmp?.cleanup());

const train = (out: string, precision: string) =>
  runInProcess([
    'train',
    ...tinyTrainArgs(data),
    '--out',
    path.join(tmp.dir, out),
    '--no-stage2',
    '--stage1-iterations',
    '6',
    '--precision',
    precision,
    '--quiet',
  ]);

describe('--precision', () => {
  it('refuses fp16 on the CPU and a misspelt value, naming the flag', async () => {
    const fp16 = await train('fp16', 'fp16');
    expect(fp16.code).not.toBe(0);
    expect(fp16.err).toMatch(/--precision fp16: fp16 needs a CUDA device/);
    const typo = await train('typo', 'bf61');
    expect(typo.code).not.toBe(0);
    expect(typo.err).toMatch(/--precision: expected fp32, bf16 or fp16, got 'bf61'/);
  });

  it.skipIf(!cpuHasBf16())('bf16 trains and is recorded in config.json (CPUs with bf16 units)', async () => {
    const r = await train('bf16', 'bf16');
    expect(r.code, r.err).toBe(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'bf16', 'config.json'), 'utf8'));
    expect(cfg.method_config.precision).toBe('bf16');
  });

  it('fp32 is the default and is recorded', async () => {
    const r = await runInProcess([
      'train',
      ...tinyTrainArgs(data),
      '--out',
      path.join(tmp.dir, 'default'),
      '--no-stage2',
      '--stage1-iterations',
      '4',
      '--quiet',
    ]);
    expect(r.code, r.err).toBe(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'default', 'config.json'), 'utf8'));
    expect(cfg.method_config.precision).toBe('fp32');
  });
});
