/**
 * The renderer's only door to the outside: the API the preload put on window.onemark.
 */
import type { OneMarkApi } from '../../api/types';

export function getApi(): OneMarkApi {
  const api = globalThis.window?.onemark;
  if (!api) {
    throw new Error(
      'OneMark API unavailable: this page must run inside the OneMark app (window.onemark is missing)',
    );
  }
  return api;
}
