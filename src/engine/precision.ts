/**
 * Mixed precision (autocast) and the channels-last layout. Autocast casts the ops that gain from
 * it (convolutions, matmuls) to bf16/fp16 and keeps the rest (losses, norms, reductions) in fp32,
 * as torch.autocast does; it is libtorch's own dispatch, so no model code changes.
 */
import { readFileSync } from 'node:fs';
import type { Device } from './deviceType';
import type { Precision } from './precisionType';
import { F } from './functional';
import { native as N } from './native';
import { tidy } from './scope';
import { Tensor } from './tensor';

/** What a run trains in: fp32, or autocast to bf16 (CPU with bf16 units, CUDA) or fp16 (CUDA). */
export type { Precision } from './precisionType';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16', 'fp16'];

export function isPrecision(v: unknown): v is Precision {
  return typeof v === 'string' && (PRECISIONS as readonly string[]).includes(v);
}

let cpuBf16: boolean | undefined;

/**
 * Whether this CPU computes bf16 natively (x86: AVX512_BF16 or AMX-BF16; arm64: BF16). Without
 * them libtorch emulates bf16 and a bf16 run is slower than fp32, so it is opt-in and checked.
 */
export function cpuHasBf16(): boolean {
  if (cpuBf16 !== undefined) return cpuBf16;
  let units = false;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    units = /\b(avx512_bf16|amx_bf16)\b/.test(info) || (process.arch === 'arm64' && /\bbf16\b/.test(info));
  } catch {
    units = false;
  }
  // The units are not enough: oneDNN must also be allowed to use them (ONEDNN_MAX_CPU_ISA below
  // AVX-512 leaves bf16 convolutions with no kernel at all), so one tiny conv decides.
  cpuBf16 = units && bf16ConvRuns();
  return cpuBf16;
}

function bf16ConvRuns(): boolean {
  try {
    tidy(() => {
      const x = Tensor.ones([1, 1, 4, 4]).to('bfloat16');
      const w = Tensor.ones([1, 1, 3, 3]).to('bfloat16');
      F.conv2d(x, w, null, { padding: 1 });
    });
    return true;
  } catch {
    return false;
  }
}

/** Why `precision` cannot run on `device`, or null when it can. */
export function precisionProblem(precision: Precision, device: Device): string | null {
  const cuda = device.startsWith('cuda');
  if (precision === 'fp16' && !cuda)
    return 'fp16 needs a CUDA device (CPU autocast is bf16 only); use --precision bf16 or fp32';
  if (precision === 'bf16' && !cuda && !cpuHasBf16())
    return 'this CPU has no bf16 units (AVX512_BF16, AMX or arm64 BF16): bf16 would be emulated and slower than fp32; use --precision fp32';
  return null;
}

type AutocastState = '' | 'bfloat16' | 'float16';

/**
 * Runs `fn` with autocast on `device` at `precision` (fp32: as is) and restores the previous
 * state afterwards, also when `fn` throws. Regions nest.
 */
export function autocast<T>(device: Device, precision: Precision, fn: () => T): T {
  if (precision === 'fp32') return fn();
  const kind = device.startsWith('cuda') ? 'cuda' : 'cpu';
  const prev = N.autocastState(kind) as AutocastState;
  N.setAutocastState(kind, precision === 'bf16' ? 'bfloat16' : 'float16');
  N.autocastNesting(1);
  try {
    return fn();
  } finally {
    N.autocastNesting(-1);
    N.setAutocastState(kind, prev);
  }
}
