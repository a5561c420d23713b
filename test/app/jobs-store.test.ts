import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEvent, JobSummary, OneMarkApi } from '../../src/api/contract/types';
import { useJobsStore } from '../../src/renderer/src/stores/jobs';
import { useReviewStore } from '../../src/renderer/src/stores/review';

// A fake API with only what these stores call; events are pushed by the test.
function fakeApi(jobs: JobSummary[]) {
  let listener: ((e: JobEvent) => void) | null = null;
  const api = {
    listJobs: async () => jobs.map((j) => ({ ...j })),
    onJobEvent: (l: (e: JobEvent) => void) => {
      listener = l;
      return () => (listener = null);
    },
    startTraining: async () => {
      throw new Error('startTraining: the template img01 has no marked landmarks');
    },
  } as unknown as OneMarkApi;
  return { api, push: (e: JobEvent) => listener?.(e) };
}

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => delete (globalThis as { window?: unknown }).window);

describe('jobs store', () => {
  it('follows progress, loss and state from events and tells end listeners', async () => {
    const { api, push } = fakeApi([
      { id: 'j', kind: 'train', projectPath: '/p', state: 'running', createdAt: '1' },
    ]);
    (globalThis as { window?: unknown }).window = { onemark: api };
    const store = useJobsStore();
    await store.attach('/p');
    const ended: string[] = [];
    store.onJobEnd((j) => ended.push(j.state));
    push({
      type: 'progress',
      jobId: 'j',
      progress: 0.4,
      step: 10,
      totalSteps: 20,
      stage: 'stage1',
      loss: 3,
      etaSec: 5,
    });
    push({ type: 'progress', jobId: 'j', progress: 0.5, step: 12, totalSteps: 20, stage: 'stage1', loss: 2 });
    push({ type: 'log', jobId: 'j', level: 'info', message: 'stage1: checkpoint saved' });
    expect(store.jobs[0].progress).toBe(0.5);
    expect(store.live.j).toMatchObject({ stage: 'stage1', step: 12, loss: 2 });
    expect(store.live.j.losses.map((l) => l.loss)).toEqual([3, 2]);
    expect(store.logs.j).toEqual(['stage1: checkpoint saved']);
    push({ type: 'state', jobId: 'j', state: 'done' });
    expect(store.jobs[0]).toMatchObject({ state: 'done', progress: 1 });
    expect(ended).toEqual(['done']);
  });

  it('keeps a refused start as an error message', async () => {
    const { api } = fakeApi([]);
    (globalThis as { window?: unknown }).window = { onemark: api };
    const store = useJobsStore();
    await store.attach('/p');
    expect(
      await store.start({ projectPath: '/p', method: 'cc2d', preset: 'tiny', device: 'cpu' }),
    ).toBeNull();
    expect(store.error).toMatch(/no marked landmarks/);
  });
});

describe('review store', () => {
  it('selects the least confident image and reloads after a correction', async () => {
    const landmarkSet = { name: 's', landmarks: [{ id: 1, name: 'A' }] };
    let corrections = {
      landmarkSet,
      images: [] as { imageId: string; landmarks: { id: number; point: { x: number; y: number } }[] }[],
    };
    const api = {
      loadReview: async () => ({
        runId: 'r',
        predictions: {
          landmarkSet,
          images: [
            { imageId: 'a', landmarks: [{ id: 1, point: { x: 1, y: 1 }, confidence: 0.8 }] },
            { imageId: 'b', landmarks: [{ id: 1, point: { x: 1, y: 1 }, confidence: 0.2 }] },
          ],
        },
        corrections,
        reviewed: [],
      }),
      evaluate: async () => null,
      saveCorrection: async (_p: string, imageId: string, id: number, point: { x: number; y: number }) => {
        corrections = { landmarkSet, images: [{ imageId, landmarks: [{ id, point }] }] };
      },
    } as unknown as OneMarkApi;
    (globalThis as { window?: unknown }).window = { onemark: api };
    const store = useReviewStore();
    await store.load('/p', null);
    expect(store.queue).toEqual(['b', 'a']);
    expect(store.selected).toBe('b');
    await store.correct('b', 1, { x: 5, y: 5 });
    expect(store.points).toEqual([{ id: 1, point: { x: 5, y: 5 }, kind: 'correction' }]);
    expect(store.error).toBeNull();
  });
});
