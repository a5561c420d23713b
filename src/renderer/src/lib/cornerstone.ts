/**
 * Cornerstone3D for the viewer: one-time set-up (core with the CPU fallback where WebGL is missing
 * or software-only, tools, the DICOM loader) and the two ways an image reaches a StackViewport:
 *
 * - `onemark:` image ids: a small image loader that takes the grey pixels the API decodes for every
 *   format (PNG, JPEG, BMP, TIFF and DICOM, src/api/service/images.ts) and makes a Cornerstone image of them;
 * - `dicomfile:` image ids: DICOM files go to Cornerstone's dicom-image-loader as their stored bytes
 *   (api.dicomFile), so modality/VOI tags and pixel spacing come from the file. Should that fail
 *   (a codec it cannot run, say), the viewer falls back on the `onemark:` path.
 */
import {
  cache,
  getConfiguration,
  getRenderingCapabilities,
  getShouldUseCPURendering,
  imageLoader,
  init as coreInit,
  isCornerstoneInitialized,
  metaData,
  setUseCPURendering,
  utilities,
  type Types,
} from '@cornerstonejs/core';
import * as dicomImageLoader from '@cornerstonejs/dicom-image-loader';
import { addTool, init as toolsInit, PanTool, WindowLevelTool, ZoomTool } from '@cornerstonejs/tools';
import type { ImagePixels } from '../../../api/contract/types';
import { getApi } from '../api';
import { loadPixels } from './images';

export const ONEMARK_SCHEME = 'onemark';

/** What the viewer needs to know about an image beyond Cornerstone's own image. */
export interface ShownImage {
  /** Cornerstone image id. */
  csImageId: string;
  /** The project's image id. */
  imageId: string;
  originalWidth: number;
  originalHeight: number;
  /** 'onemark' (grey pixels from the API) or 'dicom' (dicom-image-loader). */
  loader: 'onemark' | 'dicom';
  /** Window presets from the API (onemark images); DICOM windows come from the image. */
  windows?: ImagePixels['windows'];
}

let ready: Promise<void> | null = null;

/** Sets Cornerstone up once per page; every viewer awaits it. */
export function ensureCornerstone(): Promise<void> {
  ready ??= setUp();
  return ready;
}

async function setUp(): Promise<void> {
  if (!isCornerstoneInitialized()) {
    const caps = getRenderingCapabilities();
    // Headless Chromium with --disable-gpu (tests) has no WebGL, or only a software rasteriser:
    // Cornerstone's CPU path draws straight into a 2D canvas and is quick enough for 2D X-rays.
    const cpu = !caps.webgl || caps.softwareRasterizer === true;
    const config = getConfiguration();
    coreInit({ ...config, rendering: { ...config.rendering, useCPURendering: cpu } });
    if (cpu) setUseCPURendering(true, false);
  }
  // Before any image is cached: the DICOM loader's set-up purges Cornerstone's cache.
  // One decoder worker: 2D images arrive one at a time. Its codecs' .wasm files sit in the build's
  // assets/ next to it (electron.vite.config.ts).
  dicomImageLoader.init({ maxWebWorkers: 1 });
  imageLoader.registerImageLoader(ONEMARK_SCHEME, loadOnemarkImage as unknown as Types.ImageLoaderFn);
  metaData.addProvider(onemarkMetadata, 10_000);
  toolsInit();
  for (const tool of [PanTool, ZoomTool, WindowLevelTool]) {
    try {
      addTool(tool);
    } catch {
      // already added (hot reload)
    }
  }
}

/** True when Cornerstone draws with its CPU fallback (world origin at a pixel's corner). */
export function cpuRendering(): boolean {
  return getShouldUseCPURendering();
}

// ---- onemark: images --------------------------------------------------------------------------

export function onemarkImageId(projectPath: string, imageId: string): string {
  return `${ONEMARK_SCHEME}:${encodeURIComponent(projectPath)}/${encodeURIComponent(imageId)}`;
}

function parseOnemarkImageId(id: string): { projectPath: string; imageId: string } {
  const rest = id.slice(ONEMARK_SCHEME.length + 1);
  const slash = rest.indexOf('/');
  return {
    projectPath: decodeURIComponent(rest.slice(0, slash)),
    imageId: decodeURIComponent(rest.slice(slash + 1)),
  };
}

const modules = new Map<string, Record<string, unknown>>();
const shown = new Map<string, ShownImage>();

function onemarkMetadata(type: string, imageId: string): unknown {
  return modules.get(imageId)?.[type];
}

function loadOnemarkImage(csImageId: string): Types.IImageLoadObject {
  const { projectPath, imageId } = parseOnemarkImageId(csImageId);
  const promise = loadPixels(projectPath, imageId).then((px) => makeImage(csImageId, px));
  return { promise } as Types.IImageLoadObject;
}

function makeImage(csImageId: string, px: ImagePixels): Types.IImage {
  const { width, height } = px;
  // World units: original pixels, so a downscaled copy still covers the original extent.
  const sx = px.originalWidth / width;
  const sy = px.originalHeight / height;
  const bits = px.pixels instanceof Uint16Array ? 16 : 8;
  const w0 = px.windows[0];
  modules.set(csImageId, {
    imagePlaneModule: {
      frameOfReferenceUID: `onemark-${csImageId}`,
      rows: height,
      columns: width,
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      rowCosines: [1, 0, 0],
      columnCosines: [0, 1, 0],
      imagePositionPatient: [0, 0, 0],
      pixelSpacing: [sy, sx],
      rowPixelSpacing: sy,
      columnPixelSpacing: sx,
    },
    imagePixelModule: {
      samplesPerPixel: 1,
      photometricInterpretation: 'MONOCHROME2',
      rows: height,
      columns: width,
      bitsAllocated: bits,
      bitsStored: bits,
      highBit: bits - 1,
      pixelRepresentation: 0,
    },
    generalSeriesModule: { modality: 'OT' },
    modalityLutModule: { rescaleSlope: 1, rescaleIntercept: 0 },
    voiLutModule: { windowCenter: [w0.center], windowWidth: [w0.width] },
  });
  shown.set(csImageId, {
    csImageId,
    imageId: px.imageId,
    originalWidth: px.originalWidth,
    originalHeight: px.originalHeight,
    loader: 'onemark',
    windows: px.windows,
  });
  const voxelManager = utilities.VoxelManager.createImageVoxelManager({
    width,
    height,
    numberOfComponents: 1,
    scalarData: px.pixels,
    id: csImageId,
  });
  let min = Infinity;
  let max = -Infinity;
  for (const v of px.pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    imageId: csImageId,
    minPixelValue: min,
    maxPixelValue: max,
    slope: 1,
    intercept: 0,
    windowCenter: w0.center,
    windowWidth: w0.width,
    voiLUTFunction: undefined,
    getPixelData: () => px.pixels,
    getCanvas: undefined,
    rows: height,
    columns: width,
    height,
    width,
    color: false,
    rgba: false,
    numberOfComponents: 1,
    columnPixelSpacing: sx,
    rowPixelSpacing: sy,
    invert: false,
    photometricInterpretation: 'MONOCHROME2',
    sizeInBytes: px.pixels.byteLength,
    dataType: bits === 16 ? 'Uint16Array' : 'Uint8Array',
    voxelManager,
  } as unknown as Types.IImage;
}

// ---- DICOM through dicom-image-loader ---------------------------------------------------------

/** DICOM by name, as src/data decides for extension-only cases. */
export function looksLikeDicom(file: string): boolean {
  return /\.(dcm|dicom|dic)$/i.test(file);
}

const dicomIds = new Map<string, string>();
const DICOM_KEEP = 8;

/** Fetches the file's bytes through the API and hands them to dicom-image-loader's file manager. */
export async function dicomImageId(projectPath: string, imageId: string): Promise<string> {
  const key = `${projectPath}\n${imageId}`;
  const known = dicomIds.get(key);
  if (known) return known;
  const bytes = await getApi().dicomFile(projectPath, imageId);
  const id = dicomImageLoader.wadouri.fileManager.add(
    new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/dicom' }),
  );
  dicomIds.set(key, id);
  if (dicomIds.size > DICOM_KEEP) {
    const [oldKey, oldId] = dicomIds.entries().next().value!;
    dicomIds.delete(oldKey);
    forgetDicom(oldId);
  }
  return id;
}

function forgetDicom(csImageId: string): void {
  const index = Number(csImageId.slice('dicomfile:'.length));
  try {
    cache.removeImageLoadObject(csImageId);
  } catch {
    // not cached
  }
  if (Number.isInteger(index)) dicomImageLoader.wadouri.fileManager.remove(index);
}

/** The viewer's facts about an image Cornerstone loaded (DICOM: from the image itself). */
export function shownImage(csImageId: string, image: Types.IImage, projectImageId: string): ShownImage {
  const known = shown.get(csImageId);
  if (known) return known;
  return {
    csImageId,
    imageId: projectImageId,
    originalWidth: image.columns,
    originalHeight: image.rows,
    loader: csImageId.startsWith(`${ONEMARK_SCHEME}:`) ? 'onemark' : 'dicom',
  };
}

/**
 * The facts the viewer's DICOM overlay shows. Only these tags are read from the file: patient
 * name, id, birth date and every other identifying tag never reach the page.
 */
export interface DicomFacts {
  modality: string | null;
  rows: number | null;
  columns: number | null;
  bitsStored: number | null;
  bitsAllocated: number | null;
  /** mm per pixel: PixelSpacing, else ImagerPixelSpacing; null when the file has neither. */
  spacing: { x: number; y: number; source: 'PixelSpacing' | 'ImagerPixelSpacing' } | null;
}

const DICOM_FILE_SCHEME = 'dicomfile:';

/** One value of a naturalized DICOM attribute (dicom-image-loader's "naturalized" metadata). */
function naturalValue(v: unknown, index = 0): unknown {
  return Array.isArray(v) ? v[index] : index === 0 ? v : undefined;
}

function naturalNumber(v: unknown, index = 0): number | null {
  const n = Number(naturalValue(v, index));
  return v === undefined || v === null || !Number.isFinite(n) ? null : n;
}

/** The facts of a `dicomfile:` image dicom-image-loader has parsed; null for any other image. */
export function dicomFacts(csImageId: string): DicomFacts | null {
  if (!csImageId.startsWith(DICOM_FILE_SCHEME)) return null;
  const natural = metaData.get('naturalized', csImageId) as Record<string, unknown> | undefined;
  if (!natural) return null;
  // Read by keyword, one by one: the object holds every attribute of the file, the patient's too.
  const pair = (keyword: 'PixelSpacing' | 'ImagerPixelSpacing') => {
    // "row\column": y first.
    const y = naturalNumber(natural[keyword], 0);
    const x = naturalNumber(natural[keyword], 1) ?? y;
    return x !== null && y !== null && x > 0 && y > 0 ? { x, y, source: keyword } : null;
  };
  const modality = naturalValue(natural.Modality);
  return {
    modality: typeof modality === 'string' && modality.trim() ? modality.trim() : null,
    rows: naturalNumber(natural.Rows),
    columns: naturalNumber(natural.Columns),
    bitsStored: naturalNumber(natural.BitsStored),
    bitsAllocated: naturalNumber(natural.BitsAllocated),
    spacing: pair('PixelSpacing') ?? pair('ImagerPixelSpacing'),
  };
}
