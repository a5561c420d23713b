/**
 * Review: predictions of the latest run, corrections (saved apart, never overwritten by a run),
 * reviewed flags, the queue sorted by lowest confidence, and the evaluation when ground truth exists.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { EvaluationSummary, Point, ReviewState } from '../../../api/types';
import { getApi } from '../api';
import { pointsForImage, reviewQueue } from '../lib/review';

export const useReviewStore = defineStore('review', () => {
  const state = ref<ReviewState | null>(null);
  const projectPath = ref<string | null>(null);
  const templateId = ref<string | null>(null);
  const selected = ref<string | null>(null);
  const evaluation = ref<EvaluationSummary | null>(null);
  const error = ref<string | null>(null);

  const queue = computed(() =>
    state.value ? reviewQueue(state.value.predictions, state.value.reviewed, templateId.value) : [],
  );
  const points = computed(() =>
    state.value && selected.value
      ? pointsForImage(state.value.predictions, state.value.corrections, selected.value)
      : [],
  );

  async function guarded(work: () => Promise<void>): Promise<void> {
    try {
      await work();
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  function load(path: string, template: string | null): Promise<void> {
    return guarded(async () => {
      projectPath.value = path;
      templateId.value = template;
      state.value = await getApi().loadReview(path);
      if (!selected.value || !queue.value.includes(selected.value)) selected.value = queue.value[0] ?? null;
      evaluation.value = await getApi().evaluate(path, 'corrected');
    });
  }

  function correct(imageId: string, landmarkId: number, point: Point | null): Promise<void> {
    return guarded(async () => {
      if (!projectPath.value || !state.value) return;
      await getApi().saveCorrection(projectPath.value, imageId, landmarkId, point);
      state.value = await getApi().loadReview(projectPath.value);
      evaluation.value = await getApi().evaluate(projectPath.value, 'corrected');
    });
  }

  function setReviewed(imageId: string, reviewed: boolean): Promise<void> {
    return guarded(async () => {
      if (!projectPath.value) return;
      await getApi().setReviewed(projectPath.value, imageId, reviewed);
      state.value = await getApi().loadReview(projectPath.value);
    });
  }

  function importGroundTruth(file: string): Promise<void> {
    return guarded(async () => {
      if (!projectPath.value) return;
      await getApi().importGroundTruth(projectPath.value, file);
      evaluation.value = await getApi().evaluate(projectPath.value, 'corrected');
    });
  }

  return { state, selected, queue, points, evaluation, error, load, correct, setReviewed, importGroundTruth };
});
