/**
 * Per-step seeding. Each training step reseeds the engine (libtorch and the JS PRNG) from
 * (run seed, stage, step), so the RNG "position" of a run is just its step number: a resumed run
 * draws exactly what an uninterrupted one would, with no generator state to save.
 */
import { seed as seedEngine } from '../engine';

/** 32-bit FNV-1a over the parts, avalanched; stable across platforms and versions. */
export function mixSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  const feed = (byte: number) => {
    h ^= byte & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const part of parts) {
    const s = typeof part === 'number' ? `#${part}` : `$${part}`;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      feed(c);
      feed(c >> 8);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 1; // non-negative, fits every seed API
}

/** Seeds the engine for one step of one stage. */
export function seedStep(runSeed: number, stage: string, step: number): void {
  seedEngine(mixSeed(runSeed, stage, step));
}
