/**
 * Randomness. seed(n) seeds libtorch (CPU and CUDA generators: rand/randn/randint/dropout/init) and
 * the engine's JS generator, the only JS randomness the project uses (sampling, augmentation
 * parameters, shuffling). `Generator` gives independent, reproducible streams.
 *
 * The JS generator is xoshiro128** (Blackman & Vigna), seeded through splitmix32: small, fast,
 * and good enough for sampling (not for cryptography).
 */
import { native as N } from './native';

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
}

export class Generator {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from seed (a non-negative safe integer). */
  seed(seed: number): void {
    checkSeed(seed);
    const st = { s: (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x27d4eb2d) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
    this.spare = null;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [low, high) (or [0, low) with one argument). Unbiased. */
  randomInt(low: number, high?: number): number {
    if (high === undefined) [low, high] = [0, low];
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low)
      throw new RangeError(`randomInt: need integers low < high, got ${low}, ${high}`);
    const span = high - low;
    if (span <= 4294967296) {
      // Rejection sampling on 32 bits keeps every value equally likely.
      const limit = 4294967296 - (4294967296 % span);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return low + (x % span);
    }
    return low + Math.floor(this.random() * span);
  }

  /** Normal(mean, std) by the Box-Muller transform (the second value is cached). */
  randomNormal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randomInt(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A new generator seeded from this one: an independent stream for a worker or a sub-task. */
  fork(): Generator {
    return new Generator(this.randomInt(0, 2 ** 52));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The engine's default JS generator (seeded by seed()). */
export const defaultGenerator = new Generator(0);

/** Seeds libtorch's CPU and CUDA generators and the default JS generator. */
export function seed(n: number): void {
  checkSeed(n);
  N.manualSeed(n);
  defaultGenerator.seed(n);
}

export const random = (): number => defaultGenerator.random();
export const randomInt = (low: number, high?: number): number => defaultGenerator.randomInt(low, high);
export const randomNormal = (mean = 0, std = 1): number => defaultGenerator.randomNormal(mean, std);
export const shuffle = <T>(items: T[]): T[] => defaultGenerator.shuffle(items);
