/**
 * SVG → PNG through resvg (a Rust renderer shipped as a prebuilt binary inside its npm package).
 * Text needs a font: system fonts are not guaranteed on a fresh machine, so the DejaVu TTFs from
 * the `dejavu-fonts-ttf` package are always loaded and DejaVu Sans is the default family.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

let fontFiles: string[] | null = null;

/** The bundled DejaVu Sans files (regular + bold); empty when the package is missing. */
export function bundledFontFiles(): string[] {
  if (fontFiles) return fontFiles;
  try {
    const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    fontFiles = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f));
  } catch {
    fontFiles = [];
  }
  return fontFiles;
}

export interface RasterOptions {
  /** Output width in pixels; the height follows the SVG's aspect ratio. */
  width?: number;
  /** Output pixels per SVG unit when no width is given (default 2, for crisp text). */
  zoom?: number;
}

type ResvgModule = typeof import('@resvg/resvg-js');
let resvg: ResvgModule | null = null;

function loadResvg(): ResvgModule {
  if (resvg) return resvg;
  try {
    resvg = require('@resvg/resvg-js') as ResvgModule;
  } catch (err) {
    throw new Error(
      `PNG output needs @resvg/resvg-js with its binary for ${process.platform}-${process.arch}: ${(err as Error).message}`,
    );
  }
  return resvg;
}

function renderer(svg: string, opts: RasterOptions) {
  const { Resvg } = loadResvg();
  const files = bundledFontFiles();
  return new Resvg(svg, {
    background: 'white',
    fitTo: opts.width ? { mode: 'width', value: opts.width } : { mode: 'zoom', value: opts.zoom ?? 2 },
    font: {
      // System fonts are a fallback only: results must not depend on what the machine has.
      loadSystemFonts: files.length === 0,
      fontFiles: files,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  }).render();
}

/** Renders an SVG string to PNG bytes. */
export function svgToPng(svg: string, opts: RasterOptions = {}): Buffer {
  return renderer(svg, opts).asPng();
}

/** Renders an SVG string to raw RGBA pixels (for checks that read pixels back). */
export function svgToRgba(
  svg: string,
  opts: RasterOptions = {},
): { width: number; height: number; pixels: Buffer } {
  const img = renderer(svg, opts);
  return { width: img.width, height: img.height, pixels: img.pixels };
}
