/**
 * Per-op call overhead of the engine: 1e5 small adds (4 floats) driven from TypeScript against the
 * same loop in C++ on the same libtorch, plus the handle design we did not choose (napi externals
 * freed by GC finalizers). Prints ns per op; run with `npm run bench:overhead [-- N]`.
 */
import { Tensor, getNumThreads, liveTensors, tidy } from '../src/engine';
import { native as N } from '../src/engine/native';

const n = Number(process.argv[2] ?? 100_000);
const rounds = 5;
const t = Tensor.ones([4]);
const time = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return ((performance.now() - t0) * 1e6) / n;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows: Record<string, number[]> = {
  'native no-op call (liveTensors)': [],
  'C++ loop: at::add, result freed': [],
  'raw handles: N.add + N.free': [],
  'Tensor.add + dispose()': [],
  'Tensor.add, tidy scope per 100 ops': [],
  'Tensor.add, one tidy scope for all ops': [],
  'napi_external handles (freed by GC)': [],
};
const ext = N.benchExternalFrom(t._h);
for (let r = 0; r < rounds; r++) {
  rows['native no-op call (liveTensors)'].push(
    time(() => {
      for (let i = 0; i < n; i++) N.liveTensors();
    }),
  );
  rows['C++ loop: at::add, result freed'].push(N.benchAddLoop(t._h, n) as number);
  rows['raw handles: N.add + N.free'].push(
    time(() => {
      for (let i = 0; i < n; i++) N.free(N.add(t._h, t._h));
    }),
  );
  rows['Tensor.add + dispose()'].push(
    time(() => {
      for (let i = 0; i < n; i++) t.add(t).dispose();
    }),
  );
  rows['Tensor.add, tidy scope per 100 ops'].push(
    time(() => {
      for (let i = 0; i < n; i += 100)
        tidy(() => {
          for (let j = 0; j < 100; j++) t.add(t);
        });
    }),
  );
  rows['Tensor.add, one tidy scope for all ops'].push(
    time(() =>
      tidy(() => {
        for (let i = 0; i < n; i++) t.add(t);
      }),
    ),
  );
  rows['napi_external handles (freed by GC)'].push(
    time(() => {
      for (let i = 0; i < n; i++) N.benchExternalAdd(ext, ext);
    }),
  );
}
const cpp = median(rows['C++ loop: at::add, result freed']);
console.log(
  `per-op overhead, ${n} x add of 4 floats, median of ${rounds} rounds, ${getNumThreads()} libtorch thread(s)`,
);
for (const [name, xs] of Object.entries(rows)) {
  const m = median(xs);
  const extra =
    name.startsWith('native no-op') || name.startsWith('C++')
      ? ''
      : `  (+${(m - cpp).toFixed(0)} ns over C++, x${(m / cpp).toFixed(2)})`;
  console.log(`${name.padEnd(46)} ${m.toFixed(0).padStart(6)} ns/op${extra}`);
}
t.dispose();
console.log(`live tensors at exit: ${liveTensors()}`);
