/**
 * Window/level of a viewer: the preset list (the file's own windows, then full range and 1–99 %),
 * the centre/width the sliders edit, invert, and both kept in step with the viewport, whichever
 * side changed them (sliders, presets, or Cornerstone's ctrl-drag WindowLevelTool).
 */
import { metaData, type Types as csTypes } from '@cornerstonejs/core';
import { computed, ref, watch, type ComputedRef, type Ref } from 'vue';
import { voiRange, windowOf, windowPresets } from '../lib/imageGeometry';
import type { CornerstoneViewport } from './useCornerstoneViewport';

export interface WindowPreset {
  name: string;
  center: number;
  width: number;
}

export interface WindowLevel {
  windows: Ref<WindowPreset[]>;
  center: Ref<number>;
  width: Ref<number>;
  /** The image's value range, for the sliders' bounds. */
  range: Ref<{ min: number; max: number }>;
  invert: Ref<boolean>;
  /** "lower,upper" of the viewport's VOI as last drawn (a test hook). */
  voi: Ref<string>;
  /** Index of the preset the window matches, -1 once changed by hand ("Custom"). */
  presetShown: ComputedRef<number>;
  /** The matching preset's name, or "Custom". */
  presetName: ComputedRef<string>;
  applyWindow(i: number): void;
}

export function useWindowLevel(vp: CornerstoneViewport): WindowLevel {
  const windows = ref<WindowPreset[]>([]);
  const center = ref(128);
  const width = ref(256);
  const range = ref({ min: 0, max: 255 });
  const invert = ref(false);
  const voi = ref('');
  /** Set while the refs take the viewport's values, so the watcher does not write them back. */
  let syncingVoi = false;

  function setWindows(image: csTypes.IImage): void {
    const data = image.voxelManager?.getScalarData() ?? image.getPixelData();
    const stats = windowPresets(data);
    range.value = { min: Math.floor(stats.min), max: Math.ceil(stats.max) };
    const list: WindowPreset[] = [];
    const known = vp.current.value?.windows;
    if (known) list.push(...known);
    else {
      // The file's own windows (Window Center/Width), then full range and 1–99 %.
      const voiModule = metaData.get('voiLutModule', image.imageId) as
        | { windowCenter?: number[]; windowWidth?: number[]; windowCenterWidthExplanation?: string[] }
        | undefined;
      const c = ([] as number[]).concat(voiModule?.windowCenter ?? []);
      const w = ([] as number[]).concat(voiModule?.windowWidth ?? []);
      const names = ([] as string[]).concat(voiModule?.windowCenterWidthExplanation ?? []);
      c.forEach((cc, i) => {
        if (Number.isFinite(cc) && w[i] > 0) {
          list.push({ name: names[i] || `DICOM window ${i + 1}`, center: cc, width: w[i] });
        }
      });
      list.push(...stats.windows);
    }
    windows.value = list;
  }

  function setVoi(): void {
    const viewport = vp.viewport();
    if (!viewport || syncingVoi) return;
    viewport.setProperties({ voiRange: voiRange(center.value, width.value) });
    viewport.render();
  }

  function applyWindow(i: number): void {
    const w = windows.value[i];
    if (!w || !vp.viewport()) return;
    center.value = w.center;
    width.value = w.width;
    setVoi();
  }

  function syncFromViewport(): void {
    const viewport = vp.viewport();
    if (!viewport) return;
    const props = viewport.getProperties();
    if (!props.voiRange) return;
    voi.value = `${props.voiRange.lower},${props.voiRange.upper}`;
    const w = windowOf(props.voiRange);
    if (Math.abs(w.center - center.value) > 1e-6 || Math.abs(w.width - width.value) > 1e-6) {
      syncingVoi = true;
      center.value = Math.round(w.center * 1000) / 1000;
      width.value = Math.round(w.width * 1000) / 1000;
      queueMicrotask(() => (syncingVoi = false));
    }
  }

  vp.onImage((image) => {
    setWindows(image);
    invert.value = !!vp.viewport()?.getProperties().invert;
    applyWindow(0);
  });
  vp.onSync(syncFromViewport);

  watch([center, width], () => {
    if (!syncingVoi) setVoi();
  });
  watch(invert, (v) => {
    const viewport = vp.viewport();
    if (!viewport || !vp.current.value) return;
    if (!!viewport.getProperties().invert === v) return;
    viewport.setProperties({ invert: v });
    viewport.render();
  });

  const presetShown = computed(() =>
    windows.value.findIndex(
      (w) => Math.abs(w.center - center.value) <= 1.01 && Math.abs(w.width - width.value) <= 1.01,
    ),
  );
  const presetName = computed(() => windows.value[presetShown.value]?.name ?? 'Custom');

  return { windows, center, width, range, invert, voi, presetShown, presetName, applyWindow };
}
