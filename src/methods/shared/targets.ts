/**
 * Heatmap + offset targets of CC2D stage 2 and the dense methods (METHODS §2), built on the device
 * from landmark positions: per landmark a disk of radius R on the S×S grid (the heatmap target)
 * and the offsets (landmark − pixel)/R inside it.
 */
import type { Device } from '../../engine';
import { Tensor } from '../../engine';
import type { Point } from '../../data/types';

export interface Stage2Targets {
  /** (B, N, S, S) 1 inside the disk, 0 outside. */
  mask: Tensor;
  /** (B, N, S, S) target x / y offsets in units of R (meaningful inside the mask). */
  offX: Tensor;
  offY: Tensor;
}

/** `points[b][n]` in grid pixels; `null` (missing landmark) gives an empty disk. */
export function buildTargets(
  points: (Point | null)[][],
  size: number,
  radius: number,
  device: Device = 'cpu',
): Stage2Targets {
  const B = points.length;
  const N = points[0]?.length ?? 0;
  const lx = new Float32Array(B * N);
  const ly = new Float32Array(B * N);
  const valid = new Float32Array(B * N);
  points.forEach((row, b) =>
    row.forEach((p, n) => {
      // A missing landmark is parked far off the grid so its disk is empty.
      lx[b * N + n] = p ? p.x : -1e6;
      ly[b * N + n] = p ? p.y : -1e6;
      valid[b * N + n] = p ? 1 : 0;
    }),
  );
  const dev = device;
  const X = Tensor.arange(0, size, 1, { device: dev }).float().reshape([1, 1, 1, size]);
  const Y = Tensor.arange(0, size, 1, { device: dev }).float().reshape([1, 1, size, 1]);
  const tx = Tensor.from(lx, [B, N, 1, 1], { device: dev });
  const ty = Tensor.from(ly, [B, N, 1, 1], { device: dev });
  const dx = tx.sub(X).expand([B, N, size, size]);
  const dy = ty.sub(Y).expand([B, N, size, size]);
  const mask = dx
    .mul(dx)
    .add(dy.mul(dy))
    .le(radius * radius)
    .float();
  return { mask, offX: dx.div(radius).mul(mask), offY: dy.div(radius).mul(mask) };
}
