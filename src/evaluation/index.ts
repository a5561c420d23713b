/** Evaluation: radial errors in mm, MRE/SDR, tables, plots, comparisons, report folders. */
export * from './errors';
export * from './metrics';
export * from './evaluate';
export * from './tables';
export * from './compare';
export * from './report';
export { cdfSvg, type CdfSeries, type CdfOptions } from './plots/cdf';
export { errorBarsSvg, type BarSeries, type ErrorBarOptions } from './plots/error-bars';
export { overlaySvg, downscaleTo8Bit, type OverlayPoint, type OverlayOptions } from './plots/overlay';
export { svgToPng, svgToRgba, bundledFontFiles } from './plots/raster';
export { encodePng, pngDataUri } from './plots/png';
export * from './baselines';
