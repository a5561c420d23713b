import { describe, expect, it } from 'vitest';
import { Tensor, seed, tidy } from '../../../src/engine';
import { cascadeLoss, scaleProblem } from '../../../src/methods/cc2d/stage1/loss';

const shape = { temperature: 10, window: 3, marginPerPixel: 0.07, marginMax: 0.8, softTarget: true };

describe('scaleProblem', () => {
  it('puts all target mass on the point and no margin there (hard target)', () => {
    const p = scaleProblem([{ x: 5, y: 2 }], 8, 8, true, { ...shape, softTarget: false });
    expect(p.classes).toBe(64);
    expect(p.index).toBeNull();
    expect(p.target[2 * 8 + 5]).toBe(1);
    expect(p.margin[2 * 8 + 5]).toBe(0);
    expect(p.margin[2 * 8 + 6]).toBeCloseTo(0.07, 6);
    expect(p.margin[0]).toBeCloseTo(Math.min(0.07 * Math.hypot(5, 2), 0.8), 6);
  });
  it('windows finer scales around the point, clamped inside the map', () => {
    const p = scaleProblem([{ x: 0.5, y: 6.75 }], 8, 10, false, shape);
    expect(p.classes).toBe(49);
    // Window rows start at clamp(round(6.75) - 3, 0, 8 - 7) = 1, columns at 0.
    expect(p.index![0]).toBe(1 * 10 + 0);
    let sum = 0;
    for (let k = 0; k < 49; k++) sum += p.target[k];
    expect(sum).toBeCloseTo(1, 6);
    // Soft target: bilinear weights over (0|1, 6|7) in map coords -> window rows 5|6.
    expect(p.target[5 * 7 + 0]).toBeCloseTo(0.5 * 0.25, 6);
    expect(p.target[6 * 7 + 1]).toBeCloseTo(0.5 * 0.75, 6);
  });
});

describe('cascadeLoss', () => {
  it('is minimal when the patch point and the image point coincide', () => {
    seed(3);
    const losses = tidy(() => {
      // Hand-built embeddings: the "patch" is the image itself, so its embedding at (u, v)
      // equals the image's at (u, v); any other image point must cost more.
      const maps = [Tensor.randn([1, 16, 4, 4]), Tensor.randn([1, 16, 8, 8]), Tensor.randn([1, 16, 16, 16])];
      const strides = [8, 4, 2];
      const u = { x: 13, y: 18 };
      const at = (dx: number, dy: number) =>
        cascadeLoss(maps, maps, strides, [u], [{ x: u.x + dx, y: u.y + dy }], 32, shape).total.item();
      const offsets = [
        [0, 0],
        [2, 0],
        [0, -2],
        [4, 4],
        [-6, 2],
        [10, -8],
      ];
      return offsets.map(([dx, dy]) => at(dx, dy));
    });
    const [coincide, ...others] = losses;
    for (const o of others) expect(coincide).toBeLessThan(o);
  });
  it('backpropagates into both branches', () => {
    const [gi, gp] = tidy(() => {
      const img = Tensor.randn([2, 8, 8, 8], { requiresGrad: true });
      const pat = Tensor.randn([2, 8, 4, 4], { requiresGrad: true });
      const { total } = cascadeLoss(
        [img],
        [pat],
        [2],
        [
          { x: 3, y: 4 },
          { x: 5, y: 2 },
        ],
        [
          { x: 9, y: 7 },
          { x: 1, y: 12 },
        ],
        8,
        shape,
      );
      total.backward();
      return [img.grad!.abs().sum().item(), pat.grad!.abs().sum().item()];
    });
    expect(gi).toBeGreaterThan(0);
    expect(gp).toBeGreaterThan(0);
  });
});
