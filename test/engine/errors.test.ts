// Every failure is a catchable JS Error carrying libtorch's message, and the process lives on.
import { describe, expect, it } from 'vitest';
import { F, Tensor, cudaAvailable, liveTensors, tidy } from '../../src/engine';
import { native } from '../../src/engine/native';

/** Runs fn, expects an Error matching re, and returns it. */
function fails(fn: () => unknown, re: RegExp): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  expect((caught as Error).message).toMatch(re);
  return caught as Error;
}

describe('errors', () => {
  it('shape mismatch: libtorch message, op name, code ONEMARK_TORCH', () =>
    tidy(() => {
      const e = fails(
        () => Tensor.ones([2, 3]).matmul(Tensor.ones([2, 3])),
        /^matmul: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/,
      );
      expect((e as Error & { code?: string }).code).toBe('ONEMARK_TORCH');
      expect(e.message).not.toMatch(/Exception raised from/); // no C++ backtrace noise
      fails(
        () => Tensor.ones([2]).add(Tensor.ones([3])),
        /size of tensor a \(2\) must match the size of tensor b \(3\)/,
      );
      fails(
        () => F.conv2d(Tensor.ones([1, 3, 4, 4]), Tensor.ones([2, 2, 3, 3])),
        /expected input\[1, 3, 4, 4\] to have 2 channels/,
      );
      fails(() => Tensor.ones([6]).view([4]), /shape '\[4\]' is invalid for input of size 6/);
    }));

  it('bad dtypes: unknown names are a TypeError; mixed dtypes in matmul are libtorch errors', () =>
    tidy(() => {
      const e = fails(() => Tensor.zeros([2], { dtype: 'complex64' as never }), /unknown dtype 'complex64'/);
      expect(e).toBeInstanceOf(TypeError);
      fails(
        () => Tensor.ones([2, 2], { dtype: 'float64' }).mm(Tensor.ones([2, 2])),
        /expected .*(Double|Float)|same dtype/i,
      );
      fails(
        () => Tensor.fromBytes(new Uint8Array(7), [2], 'float32'),
        /7 bytes but shape \[2\] of Float needs 8/,
      );
    }));

  it.skipIf(cudaAvailable())('CUDA requested without CUDA (skipped: this machine has CUDA)', () =>
    tidy(() => {
      fails(() => Tensor.zeros([2], { device: 'cuda' }), /CUDA|cuda/);
      fails(() => Tensor.ones([2]).to('cuda'), /CUDA|cuda/);
      fails(() => Tensor.zeros([2], { device: 'tpu' as never }), /device|Device/);
    }),
  );

  it.skipIf(!cudaAvailable())('CUDA out of memory is a catchable Error (needs a GPU)', () =>
    tidy(() => {
      fails(() => Tensor.empty([2 ** 40], { device: 'cuda' }), /out of memory/i);
    }),
  );

  it('CPU allocation failure is a catchable Error', () => {
    fails(() => Tensor.empty([2 ** 44]), /alloc|memory/i);
  });

  it('use after dispose throws, for the receiver and for arguments', () => {
    const a = Tensor.ones([2]);
    const b = Tensor.ones([2]);
    b.dispose();
    fails(() => a.add(b), /^add: tensor used after dispose/);
    a.dispose();
    fails(() => a.sum(), /tensor used after dispose/);
    fails(() => a.shape, /tensor used after dispose/);
  });

  it('wrong argument types at the boundary throw TypeError (code ONEMARK_ARG)', () =>
    tidy(() => {
      const t = Tensor.ones([2]);
      const e = fails(() => native.add(t._h, 'x'), /^add: argument 2 must be a tensor/);
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error & { code?: string }).code).toBe('ONEMARK_ARG');
      fails(() => native.add(t._h), /missing argument 2/);
      fails(() => native.reshape(t._h, [1.5]), /array of integers/);
      fails(() => native.addS(t._h, {}), /must be a number/);
      fails(() => native.cat('nope', 0), /array of tensors/);
      fails(() => native.add(12345678, t._h), /used after dispose \(or not a tensor handle\)/);
      fails(() => native.sum(-1), /used after dispose/);
      fails(() => (t as unknown as { add(x: unknown): Tensor }).add('1'), /must be a tensor/);
      fails(
        () =>
          F.conv2d(Tensor.ones([1, 1, 3, 3]), Tensor.ones([1, 1, 1, 1]), null, {
            stride: [1, 2, 3] as never,
          }),
        /must have 2 values/,
      );
      fails(
        () => F.gridSample(Tensor.ones([1, 1, 2, 2]), Tensor.zeros([1, 1, 1, 2]), { mode: 'cubic' as never }),
        /mode must be/,
      );
      fails(
        () =>
          F.crossEntropy(Tensor.ones([2, 3]), Tensor.zeros([2], { dtype: 'int64' }), {
            reduction: 'avg' as never,
          }),
        /reduction must be/,
      );
      fails(() => Tensor.ones([2]).backward(Tensor.ones([3])), /backward|shape|Mismatch/i);
      fails(() => Tensor.ones([2], { requiresGrad: true }).mul(2).backward(), /scalar/);
      fails(() => Tensor.ones([2]).item(), /one element/);
    }));

  it('the process lives on and tensors still work after all of the above', () => {
    const before = liveTensors();
    const r = tidy(() => Tensor.ones([3]).add(1).sum().item());
    expect(r).toBe(6);
    expect(liveTensors()).toBe(before);
  });
});
