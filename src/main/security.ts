/**
 * Locks the renderer in: no new windows, no navigation away from the app, no webviews, no
 * permission prompts, no network requests outside the app's own files. The page's CSP (meta tag
 * in src/renderer/index.html) is the first wall; these are the second, enforced by the main process.
 */
import type { Session, WebContents } from 'electron';
import type { AppOrigin } from './app-origin';

export function hardenSession(session: Session, origin: AppOrigin): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = origin.isAllowedRequest(details.url);
    if (!allowed) console.warn(`blocked request to ${details.url}`);
    callback({ cancel: !allowed });
  });
}

export function hardenWebContents(contents: WebContents, origin: AppOrigin): void {
  contents.setWindowOpenHandler(({ url }) => {
    console.warn(`blocked window.open(${url})`);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    if (!origin.isAppUrl(event.url)) {
      console.warn(`blocked navigation to ${event.url}`);
      event.preventDefault();
    }
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
