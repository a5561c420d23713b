/**
 * GPU smoke check of the engine, bundled to one .mjs (no node_modules needed) by check.sh and run
 * on a CUDA machine: build info, CUDA tensors, a conv forward/backward against the CPU, seeding,
 * OOM as a catchable Error, fused Adam, and a flat live-tensor count. Prints PASS/FAIL lines and
 * exits non-zero on any failure.
 */
import {
  F,
  Tensor,
  adamStep,
  cudaAvailable,
  cudaDeviceCount,
  cudaSynchronize,
  engineInfo,
  liveTensors,
  seed,
  tidy,
} from '../../src/engine';

let failures = 0;
function check(name: string, fn: () => void): void {
  try {
    fn();
    console.log(`PASS ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
function assert(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

const info = engineInfo();
console.log(
  `engine: libtorch ${info.libtorch} (${info.libtorchSource}), cuda built ${info.cudaBuilt}, devices ${info.cudaDeviceCount}, cudnn ${info.cudnnAvailable}, abi ${info.cxx11Abi}, ${info.ops} ops`,
);
check('CUDA is available', () =>
  assert(
    cudaAvailable() && cudaDeviceCount() > 0,
    'cudaAvailable() is false: was torch_cuda linked (--no-as-needed)?',
  ),
);

check('tensors round-trip through CUDA', () =>
  tidy(() => {
    const t = Tensor.arange(0, 6, 1, { dtype: 'float32' });
    const g = t.to('cuda');
    assert(g.device.startsWith('cuda'), `device ${g.device}`);
    const back = Array.from(g.mul(2).cpu().toFloat32Array());
    assert(back.join() === '0,2,4,6,8,10', `got ${back}`);
    assert(Tensor.zeros([2], { device: 'cuda:0' }).device === 'cuda:0', 'cuda:0 factory');
  }),
);

check('conv2d forward/backward on CUDA matches CPU', () =>
  tidy(() => {
    seed(0);
    const x = Tensor.randn([2, 3, 16, 16], { dtype: 'float64' });
    const w = Tensor.randn([4, 3, 3, 3], { dtype: 'float64' });
    const run = (dev: 'cpu' | 'cuda') => {
      const xd = x.to(dev);
      // detach first: on the CPU, to('cpu') returns w itself, and a w that requires grad would make the CUDA copy a non-leaf.
      const wd = w.detach().to(dev).requiresGrad_();
      const y = F.interpolate(F.relu(F.conv2d(xd, wd, null, { padding: 1, groups: 1 })), {
        scaleFactor: 2,
        mode: 'bilinear',
      });
      y.square().mean().backward();
      return [y.cpu(), wd.grad!.cpu()];
    };
    const [yc, gc] = run('cpu');
    const [yg, gg] = run('cuda');
    assert(yc.allclose(yg, 1e-9, 1e-9), 'forward differs');
    assert(gc.allclose(gg, 1e-9, 1e-9), 'weight gradient differs');
  }),
);

check('seed(n) repeats CUDA randn and dropout', () =>
  tidy(() => {
    const draw = () => {
      seed(7);
      return [
        Tensor.randn([8], { device: 'cuda' }).cpu().toFloat32Array().join(),
        F.dropout(Tensor.ones([64], { device: 'cuda' }), 0.5)
          .cpu()
          .toFloat32Array()
          .join(),
      ];
    };
    const [a, b] = [draw(), draw()];
    assert(a[0] === b[0] && a[1] === b[1], 'different draws after the same seed');
  }),
);

check('CUDA out of memory is a catchable Error and the process lives on', () => {
  let msg = '';
  try {
    Tensor.empty([2 ** 40], { device: 'cuda' });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/out of memory/i.test(msg), `message: ${msg}`);
  tidy(() => assert(Tensor.ones([2], { device: 'cuda' }).sum().item() === 2, 'still usable'));
});

check('fused adamStep on CUDA and a flat live-tensor count over 200 steps', () => {
  const p = Tensor.randn([64, 64], { device: 'cuda', requiresGrad: true });
  const m = Tensor.zerosLike(p);
  const v = Tensor.zerosLike(p);
  const x = Tensor.randn([32, 64], { device: 'cuda' });
  const before = liveTensors();
  let first = 0;
  let last = 0;
  for (let s = 1; s <= 200; s++) {
    const l = tidy(() => {
      const loss = x.matmul(p).square().mean();
      loss.backward();
      adamStep([p], [m], [v], s, { lr: 1e-2 });
      p.zeroGrad();
      return loss.item();
    });
    if (s === 1) first = l;
    last = l;
  }
  cudaSynchronize();
  assert(liveTensors() === before, `live tensors ${before} -> ${liveTensors()}`);
  assert(last < first, `loss did not fall: ${first} -> ${last}`);
});

console.log(failures === 0 ? 'ALL PASS' : `${failures} FAILED`);
process.exit(failures === 0 ? 0 : 1);
