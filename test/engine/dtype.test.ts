// dtype round trips through typed arrays and raw bytes, including float16/bfloat16 bit patterns.
import { describe, expect, it } from 'vitest';
import { BYTES_PER_ELEMENT, DTYPES, Tensor, tidy, type DType } from '../../src/engine';

const le16 = (...words: number[]) => new Uint8Array(Uint16Array.from(words).buffer);

describe('dtypes', () => {
  it('every dtype survives fromBytes -> toBytes unchanged', () =>
    tidy(() => {
      for (const dt of DTYPES) {
        const n = 6;
        const bytes = new Uint8Array(n * BYTES_PER_ELEMENT[dt]);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
        // bool bytes must be 0/1, and 16-bit floats avoid NaN patterns (NaN payloads may be canonicalised)
        if (dt === 'bool') bytes.forEach((_, i) => (bytes[i] = i % 2));
        if (dt === 'float16' || dt === 'bfloat16')
          bytes.set(le16(0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0x8000));
        const t = Tensor.fromBytes(bytes, [2, 3], dt);
        expect(t.dtype).toBe(dt);
        expect(t.shape).toEqual([2, 3]);
        expect(Array.from(t.toBytes()), dt).toEqual(Array.from(bytes));
      }
    }));

  it('float16 and bfloat16 bit patterns decode to the right values', () =>
    tidy(() => {
      const h = Tensor.fromBytes(le16(0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001), [5], 'float16');
      expect(Array.from(h.toFloat32Array())).toEqual([1, -2, 0.5, 65504, 2 ** -24]);
      const b = Tensor.fromBytes(le16(0x3f80, 0xc000, 0x3f00, 0x4049), [4], 'bfloat16');
      expect(Array.from(b.toArray() as Float32Array)).toEqual([1, -2, 0.5, 3.140625]);
      // and back: float32 -> bf16 bytes (round to nearest even)
      expect(Array.from(new Uint16Array(Tensor.from([1, -2, 0.5, Math.PI]).bf16().toBytes().buffer))).toEqual(
        [0x3f80, 0xc000, 0x3f00, 0x4049],
      );
      expect(Array.from(new Uint16Array(Tensor.from([1, -2, 0.5, 65504]).half().toBytes().buffer))).toEqual([
        0x3c00, 0xc000, 0x3800, 0x7bff,
      ]);
    }));

  it('typed arrays round-trip with the matching dtype', () =>
    tidy(() => {
      const cases: [ArrayLike<number | bigint>, DType, string][] = [
        [Float32Array.of(1.5, -2, 3e-8), 'float32', 'Float32Array'],
        [Float64Array.of(Math.PI, -1e300, 5e-324), 'float64', 'Float64Array'],
        [Int32Array.of(-(2 ** 31), 7, 2 ** 31 - 1), 'int32', 'Int32Array'],
        [BigInt64Array.of(-(2n ** 63n), 42n, 2n ** 62n + 1n), 'int64', 'BigInt64Array'],
        [Uint8Array.of(0, 128, 255), 'uint8', 'Uint8Array'],
        [Int8Array.of(-128, 0, 127), 'int8', 'Int8Array'],
        [Int16Array.of(-32768, 1, 32767), 'int16', 'Int16Array'],
      ];
      for (const [arr, dt, ctor] of cases) {
        const t = Tensor.from(arr as never);
        expect(t.dtype).toBe(dt);
        const back = t.toArray();
        expect(back.constructor.name).toBe(ctor);
        expect(Array.from(back as ArrayLike<number>)).toEqual(Array.from(arr as ArrayLike<number>));
      }
    }));

  it('number[] defaults to float32, converts to any dtype, and Uint16Array (16-bit images) is exact', () =>
    tidy(() => {
      expect(Tensor.from([1, 2]).dtype).toBe('float32');
      expect(Tensor.from([1, 2], [2], { dtype: 'int64' }).toArray()).toEqual(BigInt64Array.of(1n, 2n));
      const u16 = Uint16Array.of(0, 40000, 65535);
      const t = Tensor.from(u16);
      expect(t.dtype).toBe('int32');
      expect(Array.from(t.toArray() as Int32Array)).toEqual([0, 40000, 65535]);
      expect(Array.from(Tensor.from(u16, [3], { dtype: 'float32' }).toFloat32Array())).toEqual([
        0, 40000, 65535,
      ]);
      const b = Tensor.from([0, 2, 0], [3], { dtype: 'bool' });
      expect(b.dtype).toBe('bool');
      expect(Array.from(b.toArray() as Uint8Array)).toEqual([0, 1, 0]);
    }));

  it('conversions: to(), float()/half()/bf16()/long()/int()/bool(), item(), toList()', () =>
    tidy(() => {
      const t = Tensor.from([1.7, -2.2, 3.5], [3]);
      expect(t.long().toArray()).toEqual(BigInt64Array.of(1n, -2n, 3n));
      expect(t.int().dtype).toBe('int32');
      expect(t.half().dtype).toBe('float16');
      expect(t.bf16().float().dtype).toBe('float32');
      expect(t.to('float64').dtype).toBe('float64');
      expect(t.to('cpu').device).toBe('cpu');
      expect(t.bool().toList()).toEqual([1, 1, 1]);
      expect(Tensor.from([2.5]).item()).toBe(2.5);
      expect(Tensor.from([1, 2, 3, 4], [2, 2]).toList()).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(Tensor.scalar(3).toList()).toBe(3);
      expect(t.toTypedArray('float32')).toBeInstanceOf(Float32Array);
      expect(() => t.toTypedArray('int32')).toThrow(/float32/);
    }));

  it('shape/size/ndim/numel/nbytes and non-contiguous reads', () =>
    tidy(() => {
      const t = Tensor.arange(0, 6, 1, { dtype: 'float32' }).reshape([2, 3]);
      expect([t.ndim, t.numel, t.nbytes, t.size(-1)]).toEqual([2, 6, 24, 3]);
      const tt = t.t();
      expect(tt.isContiguous).toBe(false);
      expect(Array.from(tt.toFloat32Array())).toEqual([0, 3, 1, 4, 2, 5]);
      expect(Array.from(tt.toBytes().slice(0, 8))).toEqual(
        Array.from(new Uint8Array(Float32Array.of(0, 3).buffer)),
      );
    }));
});
