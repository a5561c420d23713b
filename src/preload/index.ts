/**
 * Preload: exposes the OneMark API as `window.onemark` and nothing else. It runs sandboxed, so it
 * is bundled into one CommonJS file whose only require is 'electron'; the renderer never sees
 * ipcRenderer itself, only these wrappers around fixed channel names.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { API_GLOBAL } from '../api/contract/channels';
import { buildBridge } from './bridge';

contextBridge.exposeInMainWorld(API_GLOBAL, buildBridge(ipcRenderer));
