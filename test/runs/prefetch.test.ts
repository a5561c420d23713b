import { describe, expect, it } from 'vitest';
import { BatchPrefetcher, prefetch } from '../../src/runs/prefetch';
import { StageMeter, ProgressStream, type ProgressEvent } from '../../src/runs/progress';
import { mixSeed } from '../../src/runs/seeding';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('prefetch', () => {
  it('yields in order while loading ahead', async () => {
    const started: number[] = [];
    const got: number[] = [];
    for await (const v of prefetch(
      5,
      async (i) => {
        started.push(i);
        await delay(5 * (5 - i));
        return i * 10;
      },
      2,
    )) {
      got.push(v);
      // When item i is consumed, item i+1 has already been started (and i+2 queued behind it).
      expect(started.length).toBeGreaterThanOrEqual(Math.min(5, got.length + 1));
    }
    expect(got).toEqual([0, 10, 20, 30, 40]);
  });

  it('overlaps the next batch with the work on the current one', async () => {
    const t0 = Date.now();
    const loader = new BatchPrefetcher(
      async (k) => {
        await delay(60);
        return k;
      },
      0,
      4,
    );
    const seen: number[] = [];
    for (let b = await loader.next(); b !== null; b = await loader.next()) {
      seen.push(b);
      await delay(60); // "the step"
    }
    const elapsed = Date.now() - t0;
    expect(seen).toEqual([0, 1, 2, 3]);
    // Serial would be 4·(60+60) = 480 ms; overlapped ≈ 60 + 4·60 = 300 ms.
    expect(elapsed).toBeLessThan(420);
  });

  it('reports a failed load when its turn comes', async () => {
    const gen = prefetch(3, async (i) => {
      if (i === 1) throw new Error('bad.png: cannot decode');
      return i;
    });
    expect((await gen.next()).value).toBe(0);
    await expect(gen.next()).rejects.toThrow(/bad\.png/);
  });
});

describe('progress events', () => {
  it('carries step, total, smoothed loss, rate and ETA', () => {
    const s = new ProgressStream();
    const seen: ProgressEvent[] = [];
    s.on((e) => seen.push(e));
    const m = new StageMeter(s, 'stage1', 10);
    m.tick(1, 4);
    m.tick(2, 2);
    m.note(2, 'checkpoint saved');
    expect(seen[1]).toMatchObject({ stage: 'stage1', step: 2, total: 10 });
    expect(seen[1].loss).toBeGreaterThan(2);
    expect(seen[1].loss).toBeLessThan(4);
    expect(seen[1].etaSec).toBeGreaterThanOrEqual(0);
    expect(seen[2].message).toBe('checkpoint saved');
    expect(JSON.parse(JSON.stringify(seen[1]))).toEqual(seen[1]);
  });
});

describe('mixSeed', () => {
  it('is stable and separates stages and steps', () => {
    expect(mixSeed(1, 'stage1', 5)).toBe(mixSeed(1, 'stage1', 5));
    expect(mixSeed(1, 'stage1', 5)).not.toBe(mixSeed(1, 'stage1', 6));
    expect(mixSeed(1, 'stage1', 5)).not.toBe(mixSeed(1, 'stage2', 5));
    expect(mixSeed(1, 'stage1', 5)).toBeGreaterThanOrEqual(0);
  });
});
