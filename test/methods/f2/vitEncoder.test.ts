import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, noGrad, seed, tidy } from '../../../src/engine';
import { saveSafetensors } from '../../../src/engine/io/safetensors';
import { vitEncoder } from '../../../src/methods/f2/encoder';
import { FineDecoder } from '../../../src/methods/f2/decoder';
import { VisionTransformer } from '../../../src/models/vit';
import { tmpDir } from '../sla/helpers';

const dir = tmpDir('vit');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('C-F2 ViT encoder', () => {
  it("loads a user's DINO-layout safetensors and gives unit-length key features at stride 4", async () => {
    seed(8);
    // A small ViT with DINO's names and patch 8 (dim 64 = one head of 64, like ViT-S's heads).
    const vit = new VisionTransformer({
      inChannels: 3,
      patch: 8,
      stride: 8,
      dim: 64,
      depth: 3,
      heads: 1,
      mlpRatio: 2,
      posGrid: 4,
    });
    const file = path.join(dir, 'dino_tiny.safetensors');
    await saveSafetensors(file, vit.stateDict());
    vit.dispose();
    const enc = vitEncoder(file, 1, 4, 'cpu');
    expect(enc.channels).toBe(64);
    expect(enc.stride).toBe(4);
    const crops = Tensor.rand([2, 1, 32, 32]);
    const f = enc.encode(crops);
    expect(f.shape).toEqual([2, 64, 8, 8]);
    const norms = tidy(() => f.norm(2, [1]).toFloat32Array());
    for (const n of norms) expect(n).toBeCloseTo(1, 4);
    // The decoder brings stride-4 features back to the crop grid.
    const dec = new FineDecoder(enc.channels, enc.stride, 16);
    const out = noGrad(() => dec.forward(f));
    expect(out.shape).toEqual([2, 16, 32, 32]);
    for (const t of [crops, f, out]) t.dispose();
    dec.dispose();
    enc.dispose();
    // FM-OSD's descriptor: the same keys log-binned, 17 bins of 64 channels, still unit length.
    const binned = vitEncoder(file, 1, 4, 'cpu', 2);
    expect(binned.channels).toBe(64 * 17);
    const c2 = Tensor.rand([1, 1, 32, 32]);
    const fb = binned.encode(c2);
    expect(fb.shape).toEqual([1, 64 * 17, 8, 8]);
    for (const n of tidy(() => fb.norm(2, [1]).toFloat32Array())) expect(n).toBeCloseTo(1, 4);
    c2.dispose();
    fb.dispose();
    binned.dispose();
  });

  it('names the file when it is not a ViT state dict', async () => {
    const file = path.join(dir, 'other.safetensors');
    await saveSafetensors(file, { w: Tensor.zeros([2]) });
    expect(() => vitEncoder(file, 0, 4, 'cpu')).toThrow(/other\.safetensors: not a DINO ViT state dict/);
  });
});
