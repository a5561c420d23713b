import { noGrad, tidy, type Tensor } from '../../src/engine';

/**
 * Largest absolute difference between landmark j's maps in two group-major outputs (B, N·k, H, W),
 * k maps per landmark (3: heatmap, x offset, y offset): 0 when a change left landmark j alone.
 */
export function landmarkMapsDiff(a: Tensor, b: Tensor, j: number, k = 3): number {
  return noGrad(() =>
    tidy(() =>
      a
        .narrow(1, k * j, k)
        .sub(b.narrow(1, k * j, k))
        .abs()
        .max()
        .item(),
    ),
  );
}
