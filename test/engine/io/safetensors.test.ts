import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Tensor, type DType } from '../../../src/engine';
import { loadSafetensors, readSafetensorsFile, saveSafetensors } from '../../../src/engine/io/safetensors';
import { BatchNorm2d, Conv2d, Sequential } from '../../../src/engine/nn';

const ALL: [DType, string][] = [
  ['float32', 'F32'],
  ['float64', 'F64'],
  ['float16', 'F16'],
  ['bfloat16', 'BF16'],
  ['int64', 'I64'],
  ['int32', 'I32'],
  ['int16', 'I16'],
  ['int8', 'I8'],
  ['uint8', 'U8'],
  ['bool', 'BOOL'],
];

describe('safetensors <-> tensors', () => {
  it('round-trips every engine dtype bit for bit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'onemark-st-'));
    try {
      const src = new Map<string, Tensor>();
      for (const [dt] of ALL) {
        const base = Tensor.from([0, 1, -2, 3, 1.5, 0, 7, -1], [2, 4]);
        src.set(`t_${dt}`, dt === 'bool' ? base.ne(0) : base.to(dt));
      }
      // Non-contiguous input is written in logical (row-major) order.
      src.set('transposed', Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]).t());
      const file = path.join(dir, 'all.safetensors');
      await saveSafetensors(file, src, { note: 'x' });
      const raw = readSafetensorsFile(file);
      for (const [dt, st] of ALL) expect(raw.tensors.get(`t_${dt}`)!.dtype).toBe(st);
      const { tensors, metadata } = loadSafetensors(file);
      expect(metadata).toEqual({ note: 'x' });
      for (const [name, t] of src) {
        const back = tensors.get(name)!;
        expect(back.dtype).toBe(t.dtype);
        expect(back.shape).toEqual(t.shape);
        expect(back.equal(t)).toBe(true);
      }
      expect(Array.from(tensors.get('transposed')!.toFloat32Array())).toEqual([1, 4, 2, 5, 3, 6]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stores a module state dict under PyTorch names with exact float bytes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'onemark-st-'));
    try {
      const m = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
      const file = path.join(dir, 'w.safetensors');
      await saveSafetensors(file, m.stateDict());
      const raw = readSafetensorsFile(file);
      expect([...raw.tensors.keys()].sort()).toEqual(
        [
          '0.weight',
          '0.bias',
          '1.weight',
          '1.bias',
          '1.running_mean',
          '1.running_var',
          '1.num_batches_tracked',
        ].sort(),
      );
      expect(raw.tensors.get('1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
      const w = raw.tensors.get('0.weight')!;
      expect(w.shape).toEqual([2, 1, 3, 3]);
      const fromFile = new Float32Array(w.bytes.slice().buffer);
      expect(Array.from(fromFile)).toEqual(Array.from(m.stateDict().get('0.weight')!.toFloat32Array()));
      // Header length field is the first 8 bytes, little-endian, and the header is 8-aligned.
      const buf = readFileSync(file);
      expect(Number(buf.readBigUInt64LE(0)) % 8).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
