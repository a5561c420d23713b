/**
 * Electron main process: one window, the API over IPC, and nothing the renderer can use to step
 * outside it. The API itself lives in src/api/service/service.ts (plain Node).
 */
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonFileProbe, engineProcessProbe } from '../api/service/engine-probe';
import { engineSpawner, tsxEngineSpawner, type SpawnEngine } from '../api/service/job-runner';
import { pathsUnder } from '../api/service/path-policy';
import { createApiService } from '../api/service/service';
import { appOrigin } from './app-origin';
import { forwardApiEvents, registerApiHandlers, withDialogPicks } from './ipc';
import { addonCandidates, preloadPath, rendererEntry } from './paths';
import { hardenSession, hardenWebContents } from './security';
import { runSmoke, SMOKE_FLAG } from './smoke';

const mainDir = path.dirname(fileURLToPath(import.meta.url));
const entry = rendererEntry(mainDir, process.env);
const origin = appOrigin(entry);
const smoke = process.argv.includes(SMOKE_FLAG);

// Lets tests and portable installs keep projects/recents out of the user's real profile.
const userDataOverride = process.env['ONEMARK_USER_DATA_DIR'];
if (userDataOverride) app.setPath('userData', path.resolve(userDataOverride));

if (smoke) {
  // Smoke runs happen on CI machines without a GPU; software rendering is enough to load a page.
  app.disableHardwareAcceleration();
}

function createWindow(): { win: BrowserWindow; loaded: Promise<void> } {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 600,
    title: 'OneMark',
    show: false,
    backgroundColor: '#14171c',
    webPreferences: {
      preload: preloadPath(mainDir),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => {
    if (!smoke) win.show();
  });
  const loaded = entry.kind === 'url' ? win.loadURL(entry.url) : win.loadFile(entry.file);
  loaded.catch((e: Error) => console.error(`OneMark: cannot load the window: ${e.message}`));
  return { win, loaded };
}

/**
 * How the app learns what the engine can do. From the repository (development) a short-lived
 * engine process reports libtorch and CUDA; a packaged app only checks the addon is there.
 * libtorch is never loaded into this process.
 */
function enginePresence() {
  const files = addonFileProbe(
    addonCandidates({
      isPackaged: app.isPackaged,
      resourcesPath: process.resourcesPath,
      appPath: app.getAppPath(),
      env: process.env,
    }),
  );
  return app.isPackaged ? files : engineProcessProbe({ fallback: files, repoRoot: app.getAppPath() });
}

/**
 * The engine process: electron-vite bundles src/api/worker/engine-worker.ts next to this file; Electron's
 * binary runs it as Node. The addon comes from ONEMARK_ADDON (packaged: <resources>/native).
 */
function engineLauncher(): SpawnEngine {
  const worker = path.join(mainDir, 'engine-worker.js');
  const addon = addonCandidates({
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    appPath: app.getAppPath(),
    env: process.env,
  }).find((f) => existsSync(f));
  const env = addon ? { ONEMARK_ADDON: addon } : {};
  // Packaged, getAppPath() is inside app.asar (a file): a process cannot start there.
  const cwd = app.isPackaged ? process.resourcesPath : app.getAppPath();
  if (existsSync(worker)) return engineSpawner({ args: [worker], cwd, env });
  return tsxEngineSpawner({ repoRoot: app.getAppPath(), env });
}

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, origin));

app.whenReady().then(() => {
  hardenSession(session.defaultSession, origin);

  // Typed paths: the home folder and the app's own folder; anything else the user picks in the
  // system's file dialog (choosePaths), which adds it.
  const paths = pathsUnder([os.homedir(), app.getPath('userData')]);
  const api = withDialogPicks(
    createApiService({
      stateDir: app.getPath('userData'),
      app: { name: 'OneMark', version: app.getVersion() },
      engineProbe: enginePresence(),
      spawnEngine: engineLauncher(),
      paths,
    }),
    paths,
    (options) => {
      const win = BrowserWindow.getFocusedWindow();
      return win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options);
    },
  );
  registerApiHandlers(ipcMain, api, (event) => !!event.senderFrame && origin.isAppUrl(event.senderFrame.url));
  forwardApiEvents(api, (channel, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(channel, payload);
    }
  });

  const { win, loaded } = createWindow();
  if (smoke) void runSmoke(win, loaded, (code) => app.exit(code));

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
