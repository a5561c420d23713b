import type { OneMarkApi } from '../../api/contract/types';

declare global {
  interface Window {
    /** Defined by src/preload/index.ts; absent when the page is opened outside the app. */
    onemark?: OneMarkApi;
  }
}
