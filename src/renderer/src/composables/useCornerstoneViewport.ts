/**
 * One Cornerstone3D StackViewport for a viewer component: the rendering engine, the tool group
 * (pan, right-drag zoom, ctrl-drag window/level), loading a project image onto the stack, and the
 * mapping between original-image pixels and the canvas, kept in step with every render.
 *
 * The other viewer composables hook in instead of reaching into this one: `onImage` runs when a
 * new image is on the stack (before the camera fits it), `onSync` after every render, camera or
 * VOI event, `onResize` before the element is resized.
 */
import {
  Enums as csEnums,
  RenderingEngine,
  type StackViewport,
  type Types as csTypes,
} from '@cornerstonejs/core';
import {
  Enums as toolsEnums,
  PanTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
} from '@cornerstonejs/tools';
import { onBeforeUnmount, onMounted, ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue';
import type { Point } from '../../../api/contract/types';
import {
  cpuRendering,
  dicomImageId,
  ensureCornerstone,
  looksLikeDicom,
  onemarkImageId,
  shownImage,
  type ShownImage,
} from '../lib/cornerstone';
import { originalToWorld, worldToOriginal, type PlaneGeometry } from '../lib/imageGeometry';

/** Which project image to show: the viewer loads it through Cornerstone. */
export interface ViewerSource {
  projectPath: string;
  imageId: string;
  /** The image's file as stored in the project (DICOM goes through dicom-image-loader). */
  file: string;
}

/** Screen pixels per original pixel and the screen position of pixel (0,0)'s outer corner. */
export interface ScreenMapping {
  scale: number;
  scaleY: number;
  tx: number;
  ty: number;
}

export interface CornerstoneViewport {
  engineId: string;
  viewportId: string;
  current: ShallowRef<ShownImage | null>;
  /** True once Cornerstone drew the current image. */
  rendered: Ref<boolean>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  csImageId: Ref<string>;
  view: Ref<ScreenMapping>;
  /** Bumped on every sync, so computed screen positions follow the camera. */
  frame: Ref<number>;
  /** Null before set-up and after unmount: callers must not keep it. */
  viewport(): StackViewport | null;
  geometry(): PlaneGeometry | null;
  toCanvas(p: Point): Point;
  toOriginal(s: Point): Point | null;
  onImage(fn: (image: csTypes.IImage) => void): void;
  onSync(fn: () => void): void;
  onResize(fn: () => void): void;
}

export function useCornerstoneViewport(
  element: Ref<HTMLDivElement | null>,
  stage: Ref<HTMLDivElement | null>,
  source: () => ViewerSource | null,
): CornerstoneViewport {
  const uid = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const engineId = `onemark-engine-${uid}`;
  const viewportId = `onemark-viewport-${uid}`;
  const toolGroupId = `onemark-tools-${uid}`;

  const current = shallowRef<ShownImage | null>(null);
  const rendered = ref(false);
  const error = ref<string | null>(null);
  const loading = ref(false);
  const csImageId = ref('');
  const view = ref<ScreenMapping>({ scale: 1, scaleY: 1, tx: 0, ty: 0 });
  const frame = ref(0);

  const imageHooks: ((image: csTypes.IImage) => void)[] = [];
  const syncHooks: (() => void)[] = [];
  const resizeHooks: (() => void)[] = [];

  let engine: RenderingEngine | null = null;
  let viewport: StackViewport | null = null;
  let geometry: PlaneGeometry | null = null;
  let observer: ResizeObserver | null = null;
  let showToken = 0;
  /** Set once the component unmounts: Cornerstone calls still in flight must not touch the viewport. */
  let disposed = false;
  /** The latest show(): the engine is destroyed only after it settled (see onBeforeUnmount). */
  let pendingShow: Promise<void> = Promise.resolve();

  function toCanvas(p: Point): Point {
    if (!viewport || !geometry) return { x: NaN, y: NaN };
    const [x, y] = viewport.worldToCanvas(originalToWorld(p, geometry) as csTypes.Point3);
    return { x, y };
  }

  function toOriginal(s: Point): Point | null {
    if (!viewport || !geometry) return null;
    return worldToOriginal(viewport.canvasToWorld([s.x, s.y]), geometry);
  }

  function readGeometry(): void {
    if (!viewport || !current.value) return;
    const data = viewport.getImageData();
    if (!data) return;
    const [w, h] = data.dimensions;
    geometry = {
      origin: Array.from(data.origin),
      spacing: Array.from(data.spacing),
      direction: Array.from(data.direction),
      scaleX: current.value.originalWidth / w,
      scaleY: current.value.originalHeight / h,
      cornerOrigin: cpuRendering(),
    };
  }

  /** Keeps the test hooks (data-*) and the overlay in step with what Cornerstone drew. */
  function sync(): void {
    if (!viewport || !current.value) return;
    if (!geometry) readGeometry();
    const a = toCanvas({ x: -0.5, y: -0.5 });
    const b = toCanvas({ x: 0.5, y: 0.5 });
    if (Number.isFinite(a.x) && Number.isFinite(b.x)) {
      view.value = { scale: b.x - a.x, scaleY: b.y - a.y, tx: a.x, ty: a.y };
    }
    csImageId.value = viewport.getCurrentImageId() ?? '';
    rendered.value = csImageId.value === current.value.csImageId;
    frame.value++;
    for (const fn of syncHooks) fn();
  }

  async function setUp(): Promise<void> {
    await ensureCornerstone();
    const el = element.value;
    if (!el || disposed) return;
    engine = new RenderingEngine(engineId);
    engine.enableElement({
      viewportId,
      type: csEnums.ViewportType.STACK,
      element: el,
      defaultOptions: { background: [0.047, 0.055, 0.067] as csTypes.Point3 },
    });
    viewport = engine.getViewport(viewportId) as StackViewport;
    const group = ToolGroupManager.createToolGroup(toolGroupId)!;
    group.addTool(PanTool.toolName);
    group.addTool(ZoomTool.toolName);
    group.addTool(WindowLevelTool.toolName);
    const { MouseBindings, KeyboardBindings } = toolsEnums;
    group.setToolActive(PanTool.toolName, {
      bindings: [
        { mouseButton: MouseBindings.Primary },
        { mouseButton: MouseBindings.Primary, modifierKey: KeyboardBindings.Shift },
        { mouseButton: MouseBindings.Auxiliary },
      ],
    });
    // The wheel is not Cornerstone's: its ZoomTool steps a few percent a notch (useZoom's onWheel
    // steps ×1.25 about the cursor).
    group.setToolActive(ZoomTool.toolName, {
      bindings: [{ mouseButton: MouseBindings.Secondary }],
    });
    group.setToolActive(WindowLevelTool.toolName, {
      bindings: [{ mouseButton: MouseBindings.Primary, modifierKey: KeyboardBindings.Ctrl }],
    });
    group.addViewport(viewportId, engineId);
    el.addEventListener(csEnums.Events.IMAGE_RENDERED, sync);
    el.addEventListener(csEnums.Events.CAMERA_MODIFIED, sync);
    el.addEventListener(csEnums.Events.VOI_MODIFIED, sync);
  }

  function show(s: ViewerSource | null): Promise<void> {
    pendingShow = showNow(s);
    return pendingShow;
  }

  async function showNow(s: ViewerSource | null): Promise<void> {
    const token = ++showToken;
    error.value = null;
    if (!viewport) return;
    if (!s) {
      current.value = null;
      rendered.value = false;
      return;
    }
    loading.value = true;
    rendered.value = false;
    try {
      let id = onemarkImageId(s.projectPath, s.imageId);
      if (looksLikeDicom(s.file)) {
        try {
          const dicomId = await dicomImageId(s.projectPath, s.imageId);
          if (token !== showToken) return;
          await viewport.setStack([dicomId]);
          id = dicomId;
        } catch (e) {
          console.warn(`DICOM loader failed for ${s.imageId}, using the decoded pixels:`, e);
        }
      }
      if (token !== showToken) return;
      if (viewport.getCurrentImageId() !== id) await viewport.setStack([id]);
      if (token !== showToken) return;
      const image = viewport.getCornerstoneImage();
      current.value = shownImage(id, image, s.imageId);
      geometry = null;
      readGeometry();
      for (const fn of imageHooks) fn(image);
      viewport.resetCamera();
      viewport.render();
    } catch (e) {
      if (token === showToken) error.value = `Cannot show ${s.imageId}: ${(e as Error).message}`;
    } finally {
      if (token === showToken) loading.value = false;
    }
  }

  watch(source, (s, old) => {
    if (s?.projectPath === old?.projectPath && s?.imageId === old?.imageId && s?.file === old?.file) return;
    void show(s);
  });

  onMounted(async () => {
    try {
      await setUp();
    } catch (e) {
      error.value = `The viewer could not start: ${(e as Error).message}`;
      return;
    }
    if (disposed) return;
    observer = new ResizeObserver(() => {
      if (!engine) return;
      for (const fn of resizeHooks) fn();
      engine.resize(true, false);
      geometry = null;
      sync();
    });
    if (stage.value) observer.observe(stage.value);
    await show(source());
  });

  onBeforeUnmount(() => {
    showToken++;
    disposed = true;
    observer?.disconnect();
    const el = element.value;
    if (el) {
      el.removeEventListener(csEnums.Events.IMAGE_RENDERED, sync);
      el.removeEventListener(csEnums.Events.CAMERA_MODIFIED, sync);
      el.removeEventListener(csEnums.Events.VOI_MODIFIED, sync);
    }
    const doomed = engine;
    engine = null;
    viewport = null;
    // Switching tabs while an image still loads: Cornerstone finishes setStack by rendering through
    // the rendering engine, so destroying it first throws inside Cornerstone ("reading
    // 'renderViewport'"). Tear down once the load settled.
    void pendingShow
      .catch(() => {})
      .finally(() => {
        try {
          ToolGroupManager.destroyToolGroup(toolGroupId);
        } catch {
          // never created
        }
        doomed?.destroy();
      });
  });

  return {
    engineId,
    viewportId,
    current,
    rendered,
    loading,
    error,
    csImageId,
    view,
    frame,
    viewport: () => viewport,
    geometry: () => geometry,
    toCanvas,
    toOriginal,
    onImage: (fn) => imageHooks.push(fn),
    onSync: (fn) => syncHooks.push(fn),
    onResize: (fn) => resizeHooks.push(fn),
  };
}
