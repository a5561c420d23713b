// Every native entry point, called with missing and wrong arguments: each call returns or throws a
// JS Error; none may abort the process (the boundary checks counts and types).
import { describe, expect, it } from 'vitest';
import { Tensor, liveTensors, setGradEnabled } from '../../src/engine';
import { native } from '../../src/engine/native';

// Loops sized by an argument, or process-wide switches tested elsewhere.
const SKIP = new Set(['benchAddLoop', 'setNumThreads', 'manualSeed']);

describe('native boundary fuzz', () => {
  it('no entry point crashes on missing, garbage or mismatched arguments', () => {
    const t = Tensor.randn([2, 3]);
    const idx = Tensor.from(BigInt64Array.of(0n, 1n));
    const h = t._h;
    const argSets: unknown[][] = [
      [],
      [undefined],
      [null, null, null],
      ['x', 'y'],
      [{}, [], () => 0],
      [-1, -1, -1],
      [NaN, Infinity, -Infinity],
      [1e300, 2 ** 60],
      [h],
      [h, 'x', {}],
      [h, h, h, h, h, h, h, h],
      [h, -1, 0, 1.5],
      [h, [1, 2, 3], true],
      [h, idx._h, h],
      [[h, h], 0],
      [[h, 'x'], 1],
      [h, [], [], [], [], [], [], []],
      [new Float32Array(3), [3], 0, 0],
      [new Uint8Array(5), [2], 0],
    ];
    let calls = 0;
    let threw = 0;
    for (const [name, fn] of Object.entries(native)) {
      if (SKIP.has(name) || typeof fn !== 'function') continue;
      for (const args of argSets) {
        calls++;
        try {
          fn(...args);
        } catch (e) {
          threw++;
          expect(e, `${name}(${args.map(String).join(', ')})`).toBeInstanceOf(Error);
          expect((e as Error).message.startsWith(`${name}: `) || (e as Error).message.length > 0).toBe(true);
        }
      }
    }
    setGradEnabled(true);
    console.log(
      `${calls} calls over ${Object.keys(native).length} entry points, ${threw} threw a JS Error, none crashed; live tensors ${liveTensors()}`,
    );
    expect(threw).toBeGreaterThan(calls / 2);
    // still usable
    expect(Tensor.ones([2]).add(1).sum().item()).toBe(4);
  });
});
