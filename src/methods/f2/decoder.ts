/**
 * C-F2's fine decoder (FM-OSD's: stride-2 transposed convs back to the crop grid, then a 5x5 conv):
 * encoder features at stride r -> unit-length features (B, D, P, P) on the crop grid.
 */
import { F, tidy, type Tensor } from '../../engine';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Module, ModuleList } from '../../engine/nn';

class UpStep extends Module {
  up: ConvTranspose2d;
  bn: BatchNorm2d;
  constructor(cin: number, cout: number) {
    super();
    this.up = new ConvTranspose2d(cin, cout, 2, { stride: 2 });
    this.bn = new BatchNorm2d(cout);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => F.relu(this.bn.forward(this.up.forward(x))));
  }
}

export class FineDecoder extends Module {
  ups: ModuleList<UpStep>;
  out: Conv2d;
  constructor(inChannels: number, stride: number, features: number) {
    super();
    const steps = Math.round(Math.log2(stride));
    if (2 ** steps !== stride) throw new Error(`FineDecoder: encoder stride ${stride} is not a power of 2`);
    this.ups = new ModuleList();
    let c = inChannels;
    for (let i = 0; i < steps; i++) {
      const next = Math.max(features, Math.round(c / 2));
      this.ups.append(new UpStep(c, next));
      c = next;
    }
    this.out = new Conv2d(c, features, 5, { padding: 2 });
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = x;
      for (const u of this.ups) h = u.forward(h);
      return F.normalize(this.out.forward(h), { dim: 1 });
    });
  }
}
