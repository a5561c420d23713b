/**
 * `onemark train` / `predict` options around the methods, without training: --help lists every
 * method in one line, flags a method cannot use are refused naming the flag and the method (before
 * any image is read), --stage1-run must be a CC2D run, and progress bars name the stage and, for
 * per-landmark stages, the landmark.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePart } from '../../src/cli/commands/train';
import { attachProgressBars, progressLabel } from '../../src/cli/progressBars';
import { METHOD_INFO, METHOD_NAMES } from '../../src/methods/catalog';
import { RUN_FORMAT } from '../../src/runs/config';
import { ProgressStream } from '../../src/runs/progress';
import { runInProcess, tempDir, tinyTrainArgs, writeSyntheticFolder, type SyntheticFolder } from './helpers';

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: SyntheticFolder;

beforeAll(async () => {
  tmp = await tempDir('onemark-cli-options-');
  data = await writeSyntheticFolder(tmp.dir, { n: 3, size: 32 });
});
afterAll(() => tmp?.cleanup());

/** A run folder holding only a config.json of `method` (enough for the checks before training). */
function fakeRun(name: string, method: string, templateId = 's000'): string {
  const dir = path.join(tmp.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ format: RUN_FORMAT, method, preset: 'tiny', seed: 1, data: { templateId } }),
  );
  return dir;
}

function train(method: string, ...extra: string[]) {
  return runInProcess([
    'train',
    '--method',
    method,
    ...tinyTrainArgs(data),
    '--quiet',
    '--out',
    path.join(tmp.dir, `never-${method}`),
    ...extra,
  ]);
}

describe('onemark train --help', () => {
  it('lists every method with its one-line description', async () => {
    const r = await runInProcess(['train', '--help']);
    expect(r.code).toBe(0);
    for (const m of METHOD_NAMES) {
      const line = r.out.split('\n').find((l) => l.startsWith(`  ${m} `));
      expect(line, m).toBeDefined();
      expect(line).toContain(`${METHOD_INFO[m].title}: ${METHOD_INFO[m].describe}`);
    }
    for (const flag of ['--stage1-run', '--fine-iterations', '--part', '--stage1-iterations', '--no-stage2'])
      expect(r.out).toContain(flag);
    const p = await runInProcess(['predict', '--help']);
    expect(p.code).toBe(0);
    for (const m of METHOD_NAMES) expect(p.out).toContain(`  ${m} `);
  });
});

describe('flags a method cannot use', () => {
  it.each([
    [
      'sla',
      ['--fine-iterations', '5'],
      /^onemark: error: --fine-iterations does not apply to method sla: only f2/,
    ],
    ['adapter', ['--no-stage2'], /^onemark: error: --no-stage2 does not apply to method adapter: only cc2d/],
    [
      'cc2d',
      ['--stage1-run', 'x'],
      /^onemark: error: --stage1-run does not apply to method cc2d: it trains its own/,
    ],
    [
      'adapter',
      ['--part', '1/3'],
      /^onemark: error: --part does not apply to method adapter: only sla and atd/,
    ],
    [
      'f2',
      ['--stage1-run', 'x', '--stage1-iterations', '5'],
      /^onemark: error: --stage1-iterations does not apply with a stage-1 run: f2 reuses that run's stage 1/,
    ],
    [
      'atd',
      ['--stage1-run', 'x', '--backbone', 'w.safetensors'],
      /^onemark: error: --backbone does not apply with a stage-1 run/,
    ],
    ['sla', ['--part', '4/3'], /^onemark: error: --part: expected K\/N with 1 <= K <= N/],
    ['foo', [], /^onemark: error: --method: unknown method 'foo' \(available: cc2d, sla, atd, adapter, f2\)/],
  ])('%s %j is refused', async (method, extra, message) => {
    const r = await train(method, ...extra);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(fs.existsSync(path.join(tmp.dir, `never-${method}`))).toBe(false);
  });

  it('--stage1-run must be a CC2D run trained with the same template', async () => {
    const notRun = await train('sla', '--stage1-run', path.join(tmp.dir, 'nothing'));
    expect(notRun.err).toMatch(/--stage1-run: run .*nothing: no config.json/);
    const slaRun = await train('sla', '--stage1-run', fakeRun('an-sla-run', 'sla'));
    expect(slaRun.err).toMatch(/--stage1-run: .*an-sla-run is a sla run; it must be a CC2D run/);
    const other = await train('atd', '--stage1-run', fakeRun('other-template', 'cc2d', 's001'));
    expect(other.err).toMatch(/--stage1-run: .*other-template was trained with template s001, not s000/);
  });

  it("--resume keeps the run's method: another --method is refused", async () => {
    const run = fakeRun('existing-sla', 'sla');
    const r = await runInProcess([
      'train',
      '--method',
      'adapter',
      '--images',
      data.images,
      '--template',
      's000',
      '--out',
      run,
      '--resume',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--method adapter: run .* is a sla run; resume it with --method sla/);
  });

  it("predict refuses --stage and --batch where the run's method has no use for them", async () => {
    const sla = fakeRun('pred-sla', 'sla');
    const s = await runInProcess([
      'predict',
      '--run',
      sla,
      '--images',
      data.images,
      '--out',
      'x.csv',
      '--stage',
      '1',
    ]);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/--stage does not apply to method sla: only cc2d/);
    const f2 = fakeRun('pred-f2', 'f2');
    const b = await runInProcess([
      'predict',
      '--run',
      f2,
      '--images',
      data.images,
      '--out',
      'x.csv',
      '--batch',
      '2',
    ]);
    expect(b.err).toMatch(/--batch does not apply to method f2/);
    const none = await runInProcess(['predict', '--run', tmp.dir, '--images', data.images, '--out', 'x.csv']);
    expect(none.err).toMatch(/^onemark: error: --run .*: run .*: no config.json \(not a run directory\?\)$/m);
  });
});

describe('progress bars', () => {
  function sink(): Writable & { text: string } {
    const s = new Writable({
      write(chunk, _enc, cb) {
        s.text += String(chunk);
        cb();
      },
    }) as Writable & { text: string };
    s.text = '';
    return s;
  }

  it('name the stage, and the landmark (with its name) on per-landmark stages', () => {
    const out = sink();
    const stream = new ProgressStream();
    const names = ['Sella', 'Nasion'];
    const off = attachProgressBars(stream, { stream: out, landmarkName: (n) => names[n - 1] });
    const ev = { itPerSec: 2, etaSec: 1 };
    stream.emit({ stage: 'stage1', step: 1, total: 2, loss: 1.5, ...ev });
    stream.emit({ stage: 'stage1', step: 2, total: 2, ...ev });
    stream.emit({ stage: 'sla-part-2-of-2', step: 1, total: 1, landmark: 2, ...ev });
    stream.emit({
      stage: 'sla-part-2-of-2',
      step: 1,
      total: 1,
      landmark: 2,
      message: 'resumed at step 1',
      ...ev,
    });
    off();
    expect(out.text).toMatch(/^stage1 \[#+\.*\] 1\/2 50% .*loss 1\.500/m);
    expect(out.text).toMatch(/^stage1: done 2\/2/m);
    expect(out.text).toMatch(/^sla-part-2-of-2 landmark 2 \(Nasion\) \[#+\] 1\/1 100%/m);
    expect(out.text).toMatch(/^sla-part-2-of-2 landmark 2 \(Nasion\): resumed at step 1$/m);
    expect(progressLabel({ stage: 'atd', step: 0, total: 1, itPerSec: 0, etaSec: 0, landmark: 7 })).toBe(
      'atd landmark 7',
    );
  });

  it('stay silent with --quiet', () => {
    const out = sink();
    const stream = new ProgressStream();
    const off = attachProgressBars(stream, { stream: out, enabled: false });
    stream.emit({ stage: 'sla', step: 1, total: 1, itPerSec: 1, etaSec: 0, message: 'note' });
    off();
    expect(out.text).toBe('');
  });

  it('--part reads K/N as the 0-based part', () => {
    expect(parsePart('2/19')).toEqual({ index: 1, count: 19 });
    expect(parsePart(undefined)).toBeUndefined();
    expect(() => parsePart('0/3')).toThrow(/--part/);
  });
});
