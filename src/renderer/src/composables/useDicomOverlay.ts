/**
 * The corner text over a DICOM image: modality, size, bits stored, the pixel spacing with where it
 * comes from, and the window in step with the preset list. Built from a fixed list of tags
 * (lib/cornerstone.ts `dicomFacts`), so nothing identifying the patient can reach it.
 */
import { computed, type ComputedRef } from 'vue';
import { dicomFacts, type DicomFacts } from '../lib/cornerstone';
import type { CornerstoneViewport } from './useCornerstoneViewport';
import type { WindowLevel } from './useWindowLevel';

/** A spacing in mm per pixel and where it comes from (the API's SpacingValue, or the file's tag). */
export interface ShownSpacing {
  x: number;
  y: number;
  source?: string;
}

export interface DicomOverlay {
  facts: ComputedRef<DicomFacts | null>;
  /** The spacing figures use when the view was given one, else the file's own; null: none known. */
  spacing: ComputedRef<ShownSpacing | null>;
  /** The overlay's lines; null when the image is not a DICOM file shown by dicom-image-loader. */
  lines: ComputedRef<string[] | null>;
}

const SOURCE_NAMES: Record<string, string> = {
  user: 'entered',
  dataset: "dataset's",
};

const num = (v: number) => String(Number(v.toPrecision(4)));

export function useDicomOverlay(
  vp: CornerstoneViewport,
  wl: WindowLevel,
  given: () => ShownSpacing | null | undefined,
): DicomOverlay {
  const facts = computed(() => {
    const image = vp.current.value;
    return image?.loader === 'dicom' ? dicomFacts(image.csImageId) : null;
  });

  const spacing = computed((): ShownSpacing | null => {
    const g = given();
    if (g && g.x > 0 && g.y > 0) return g;
    return facts.value?.spacing ?? null;
  });

  const lines = computed(() => {
    const f = facts.value;
    if (!f) return null;
    const out: string[] = [];
    const size = f.columns && f.rows ? `${f.columns} × ${f.rows} px` : '';
    out.push([f.modality ?? 'modality unknown', size].filter(Boolean).join(' · '));
    if (f.bitsStored) {
      const of = f.bitsAllocated && f.bitsAllocated !== f.bitsStored ? ` of ${f.bitsAllocated}` : '';
      out.push(`${f.bitsStored} bits stored${of}`);
    }
    const s = spacing.value;
    out.push(
      s
        ? `${num(s.x)} × ${num(s.y)} mm/px${s.source ? ` (${SOURCE_NAMES[s.source] ?? s.source})` : ''}`
        : 'no pixel spacing (px)',
    );
    out.push(`W ${Math.round(wl.width.value)} L ${Math.round(wl.center.value)} (${wl.presetName.value})`);
    return out;
  });

  return { facts, spacing, lines };
}
