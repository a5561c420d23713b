import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPseudoLabelsIfWhole } from '../../src/methods/cc2d/pseudoLabels';
import { removeStaleTemps, writeFileAtomicSync } from '../../src/runs/atomicFile';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onemark-atomic-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('run files written whole or not at all', () => {
  it('writes through a temporary file and leaves none behind', () => {
    const file = path.join(tmp, 'a', 'config.json');
    writeFileAtomicSync(file, '{"x":1}\n');
    writeFileAtomicSync(file, '{"x":2}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"x":2}\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['config.json']);
  });

  it('removes stale .tmp files of a killed write in the run and its stage folders, not fresh ones', () => {
    const run = path.join(tmp, 'run');
    fs.mkdirSync(path.join(run, 'stage1'), { recursive: true });
    const stale = path.join(run, 'stage1', '.final.safetensors.123.abc.tmp');
    const fresh = path.join(run, '.config.json.456.def.tmp');
    const kept = path.join(run, 'stage1', 'final.safetensors');
    for (const f of [stale, fresh, kept]) fs.writeFileSync(f, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(stale, hourAgo, hourAgo);
    expect(removeStaleTemps(run)).toEqual([stale]);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true); // maybe another part's write in flight
    expect(fs.existsSync(kept)).toBe(true);
  });

  it('a torn pseudo-labels file reads as absent (recomputed), a whole one as itself', () => {
    const torn = path.join(tmp, 'torn.json');
    fs.writeFileSync(torn, '{"ids":["a","b"],"points":[[{"x":1');
    expect(loadPseudoLabelsIfWhole(torn)).toBeNull();
    const whole = path.join(tmp, 'whole.json');
    fs.writeFileSync(whole, JSON.stringify({ ids: ['a'], points: [[{ x: 1, y: 2 }]], confidence: [[1]] }));
    expect(loadPseudoLabelsIfWhole(whole)?.ids).toEqual(['a']);
  });
});
