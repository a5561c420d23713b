/**
 * A BatchNorm with statistics and affine of its own per landmark, for a batch that holds N crops
 * per image laid out landmark-major within each image, (B·N, C, H, W) with crop i of landmark
 * i mod N. Viewing that batch as (B, N·C, H, W) is free (the same memory), and one BatchNorm over
 * N·C channels then normalises each landmark's crops on their own: no extra pass over the
 * activations, and the parameters are named and shaped as a BatchNorm2d(N·C).
 */
import { Tensor, tidy } from '../engine';
import { BatchNorm2d } from '../engine/nn';

export class LandmarkBatchNorm2d extends BatchNorm2d {
  constructor(
    readonly channels: number,
    readonly landmarks: number,
  ) {
    super(channels * landmarks);
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const [BN, C, H, W] = x.shape;
      const N = this.landmarks;
      if (C !== this.channels || BN % N !== 0)
        throw new Error(
          `LandmarkBatchNorm2d: expected (B·${N}, ${this.channels}, H, W) with one crop per landmark, got (${x.shape.join(', ')})`,
        );
      return super.forward(x.reshape([BN / N, N * C, H, W])).reshape([BN, C, H, W]);
    });
  }
}
