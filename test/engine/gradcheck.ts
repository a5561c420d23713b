/**
 * Finite-difference gradient check (float64), like torch.autograd.gradcheck: the analytic gradient
 * of sum(w * f(x)) (w fixed random weights, so every output element matters) against central
 * differences for every element of every floating-point input.
 */
import { Generator, Tensor, noGrad, tidy } from '../../src/engine';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Indices of floating-point inputs to hold constant (no gradient: running stats, class weights). */
  constants?: number[];
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic - numeric| - rtol*|numeric| seen (<= atol when ok). */
  worst: number;
  /** First mismatches, for the failure message. */
  mismatches: string[];
}

/**
 * inputs: tensors whose values are used as the evaluation point; floating-point ones are checked
 * (copied to float64 leaves), others (e.g. int64 targets) are passed through unchanged.
 * f must be deterministic (seed inside it when it uses randomness).
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  return tidy(() => {
    const constants = new Set(opts.constants ?? []);
    const isFloat = inputs.map(
      (t, i) => (t.dtype === 'float64' || t.dtype === 'float32') && !constants.has(i),
    );
    const data = inputs.map((t, i) => {
      if (!isFloat[i]) return null;
      return t.dtype === 'float64'
        ? Float64Array.from(t.toArray() as Float64Array)
        : Float64Array.from(t.toFloat32Array());
    });
    const shapes = inputs.map((t) => t.shape);
    const leaves = inputs.map((t, i) =>
      isFloat[i] ? Tensor.from(data[i]!, shapes[i], { dtype: 'float64', requiresGrad: true }) : t,
    );

    // Fixed random output weights.
    const y0 = f(...leaves);
    const gen = new Generator(1234);
    const wData = Float64Array.from(
      { length: y0.numel },
      () => gen.uniform(0.5, 1.5) * (gen.random() < 0.5 ? -1 : 1),
    );
    const w = Tensor.from(wData, y0.shape, { dtype: 'float64' });
    y0.mul(w).sum().backward();
    const analytic = leaves.map((l, i) =>
      isFloat[i]
        ? ((l.grad?.toArray() as Float64Array | undefined) ?? new Float64Array(data[i]!.length))
        : null,
    );

    const evalAt = (): number =>
      noGrad(() =>
        tidy(() => {
          const xs = inputs.map((t, i) =>
            isFloat[i] ? Tensor.from(data[i]!, shapes[i], { dtype: 'float64' }) : t,
          );
          return f(...xs)
            .mul(w)
            .sum()
            .item();
        }),
      );

    const mismatches: string[] = [];
    let worst = -Infinity;
    for (let i = 0; i < inputs.length; i++) {
      const d = data[i];
      if (!d) continue;
      for (let j = 0; j < d.length; j++) {
        const orig = d[j];
        d[j] = orig + eps;
        const plus = evalAt();
        d[j] = orig - eps;
        const minus = evalAt();
        d[j] = orig;
        const numeric = (plus - minus) / (2 * eps);
        const got = analytic[i]![j];
        const err = Math.abs(got - numeric) - rtol * Math.abs(numeric);
        worst = Math.max(worst, err);
        if (!(err <= atol) && mismatches.length < 5)
          mismatches.push(`input ${i}[${j}]: analytic ${got}, numeric ${numeric}`);
      }
    }
    return { ok: mismatches.length === 0, worst, mismatches };
  });
}
