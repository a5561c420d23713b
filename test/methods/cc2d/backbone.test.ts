import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, seed } from '../../../src/engine';
import { saveSafetensors } from '../../../src/engine/io/safetensors';
import { loadBackbone } from '../../../src/methods/cc2d/nets';
import { UNetVgg, VGG19_BLOCKS } from '../../../src/models/unetVgg';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onemark-backbone-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('backbone init from torchvision vgg19_bn weights', () => {
  it('loads the encoder (RGB first conv summed to gray) and leaves the rest alone', async () => {
    seed(1);
    // A fake torchvision state dict for the first two VGG blocks: conv i, BN i+1, ReLU i+2, pool.
    const sd: Record<string, Tensor> = {};
    let idx = 0;
    let inC = 3;
    for (const block of VGG19_BLOCKS.slice(0, 2)) {
      for (const c of block) {
        sd[`features.${idx}.weight`] = Tensor.randn([c, inC, 3, 3]);
        sd[`features.${idx}.bias`] = Tensor.randn([c]);
        for (const k of ['weight', 'bias', 'running_mean', 'running_var'])
          sd[`features.${idx + 1}.${k}`] = Tensor.rand([c]);
        sd[`features.${idx + 1}.num_batches_tracked`] = Tensor.from(BigInt64Array.of(10n), []);
        idx += 3;
        inC = c;
      }
      idx += 1;
    }
    sd['classifier.0.weight'] = Tensor.randn([4, 4]);
    const file = path.join(tmp, 'vgg19_bn.safetensors');
    await saveSafetensors(file, sd);

    const m = new UNetVgg({ inChannels: 1, width: 1, levels: 2, dilated: false, embedDim: 8 });
    const headBefore = m.stateDict().get('heads.0.weight')!.toFloat32Array();
    const r = loadBackbone(m, file);
    expect(r.loaded).toBeGreaterThan(10);
    const st = m.stateDict();
    const gray = sd['features.0.weight'].sum([1], true).toFloat32Array();
    expect(Array.from(st.get('encoder.features.0.weight')!.toFloat32Array())).toEqual(Array.from(gray));
    expect(Array.from(st.get('encoder.features.8.running_var')!.toFloat32Array())).toEqual(
      Array.from(sd['features.8.running_var'].toFloat32Array()),
    );
    expect(Array.from(st.get('heads.0.weight')!.toFloat32Array())).toEqual(Array.from(headBefore));
    m.dispose();
    for (const t of Object.values(sd)) t.dispose();
  });

  it('names the file when the weights do not fit', async () => {
    const file = path.join(tmp, 'bad.safetensors');
    const t = Tensor.randn([5, 3, 3, 3]);
    await saveSafetensors(file, { 'features.0.weight': t });
    t.dispose();
    const m = new UNetVgg({ inChannels: 1, width: 0.25, levels: 2, dilated: false, embedDim: 8 });
    expect(() => loadBackbone(m, file)).toThrow(/bad\.safetensors.*width 1 only/);
    m.dispose();
  });
});
