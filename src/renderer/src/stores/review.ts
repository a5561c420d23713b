/**
 * Review: predictions of the latest run, corrections (saved apart, never overwritten by a run),
 * reviewed flags, the queue sorted by lowest confidence, the evaluation when ground truth exists,
 * and the undo history of corrections (kept in the store, so it survives switching tabs).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { EvaluationSummary, Point, ReviewState } from '../../../api/contract/types';
import { getApi } from '../api';
import { onReconnect } from '../connection';
import { pointsForImage, reviewQueue, stepImage } from '../lib/review';

/** One correction as the user made it: enough to undo and redo it. */
interface CorrectionStep {
  imageId: string;
  landmarkId: number;
  before: Point | null;
  after: Point | null;
}

export const useReviewStore = defineStore('review', () => {
  const state = ref<ReviewState | null>(null);
  const projectPath = ref<string | null>(null);
  const templateId = ref<string | null>(null);
  const selected = ref<string | null>(null);
  /** The model's own error (the user's corrections not counted) ... */
  const evaluation = ref<EvaluationSummary | null>(null);
  /** ... and the error of what would be exported (predictions with the corrections applied). */
  const evaluationCorrected = ref<EvaluationSummary | null>(null);
  const error = ref<string | null>(null);
  const undoStack = ref<CorrectionStep[]>([]);
  const redoStack = ref<CorrectionStep[]>([]);

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

  async function refreshEvaluation(path: string): Promise<void> {
    const [model, corrected] = await Promise.all([
      getApi().evaluate(path, 'predicted'),
      getApi().evaluate(path, 'corrected'),
    ]);
    evaluation.value = model;
    evaluationCorrected.value = corrected;
  }

  function load(path: string, template: string | null): Promise<void> {
    return guarded(async () => {
      if (projectPath.value !== path) {
        // Another project: its history does not apply here.
        undoStack.value = [];
        redoStack.value = [];
        selected.value = null;
      }
      projectPath.value = path;
      templateId.value = template;
      state.value = await getApi().loadReview(path);
      if (!selected.value || !queue.value.includes(selected.value)) selected.value = queue.value[0] ?? null;
      await refreshEvaluation(path);
    });
  }

  onReconnect(() => {
    if (projectPath.value) void load(projectPath.value, templateId.value);
  });

  function correctionOf(imageId: string, landmarkId: number): Point | null {
    const a = state.value?.corrections.images.find((x) => x.imageId === imageId);
    return a?.landmarks.find((v) => v.id === landmarkId)?.point ?? null;
  }

  function save(imageId: string, landmarkId: number, point: Point | null): Promise<void> {
    return guarded(async () => {
      if (!projectPath.value || !state.value) return;
      await getApi().saveCorrection(projectPath.value, imageId, landmarkId, point);
      state.value = await getApi().loadReview(projectPath.value);
      await refreshEvaluation(projectPath.value);
    });
  }

  // Corrections, undo and redo go on the stacks at once and save in order through one queue: a
  // Ctrl+Z pressed while a correction is still saving must undo that correction, not the one
  // before it (seen under load: Backspace then Ctrl+Z lost the restored point).
  let history: Promise<void> = Promise.resolve();

  /** A new correction (null: back to the prediction); undoable. */
  function correct(imageId: string, landmarkId: number, point: Point | null): Promise<void> {
    const step: CorrectionStep = { imageId, landmarkId, before: null, after: point };
    undoStack.value.push(step);
    redoStack.value = [];
    history = history.then(async () => {
      // Read once every earlier step has saved: that is the value this one replaces.
      step.before = correctionOf(imageId, landmarkId);
      await save(imageId, landmarkId, point);
      if (error.value) {
        const i = undoStack.value.lastIndexOf(step);
        if (i >= 0) undoStack.value.splice(i, 1);
      }
    });
    return history;
  }

  function replay(from: typeof undoStack, to: typeof undoStack, value: (s: CorrectionStep) => Point | null) {
    const step = from.value.pop();
    if (!step) return history;
    to.value.push(step);
    selected.value = step.imageId;
    history = history.then(async () => {
      await save(step.imageId, step.landmarkId, value(step));
      if (error.value) {
        to.value.splice(to.value.lastIndexOf(step), 1);
        from.value.push(step);
      }
    });
    return history;
  }
  const undo = () => replay(undoStack, redoStack, (s) => s.before);
  const redo = () => replay(redoStack, undoStack, (s) => s.after);

  function setReviewed(imageId: string, reviewed: boolean): Promise<void> {
    return guarded(async () => {
      if (!projectPath.value) return;
      await getApi().setReviewed(projectPath.value, imageId, reviewed);
      state.value = await getApi().loadReview(projectPath.value);
    });
  }

  function step(direction: 1 | -1): void {
    selected.value = stepImage(queue.value, selected.value, direction);
  }

  /** Marks the shown image reviewed and shows the next one still to review. */
  async function reviewedAndNext(): Promise<void> {
    const id = selected.value;
    if (!id) return;
    const order = queue.value;
    const reviewedBefore = new Set(state.value?.reviewed ?? []);
    await setReviewed(id, true);
    if (error.value) return;
    // The queue puts reviewed images last; go on with the next unreviewed one after this image.
    const i = order.indexOf(id);
    const rest = [...order.slice(i + 1), ...order.slice(0, i)];
    selected.value = rest.find((x) => !reviewedBefore.has(x)) ?? id;
  }

  function importGroundTruth(file: string): Promise<void> {
    return guarded(async () => {
      if (!projectPath.value) return;
      await getApi().importGroundTruth(projectPath.value, file);
      state.value = await getApi().loadReview(projectPath.value);
      await refreshEvaluation(projectPath.value);
    });
  }

  return {
    state,
    selected,
    queue,
    points,
    evaluation,
    evaluationCorrected,
    error,
    canUndo: computed(() => undoStack.value.length > 0),
    canRedo: computed(() => redoStack.value.length > 0),
    load,
    correct,
    undo,
    redo,
    step,
    reviewedAndNext,
    setReviewed,
    importGroundTruth,
  };
});
