import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * The dev server injects component styles as <style> tags and talks to the page over a websocket;
 * the strict CSP of src/renderer/index.html forbids both. Relax exactly those two, in dev only.
 */
function devCsp(): Plugin {
  return {
    name: 'onemark:dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html
        .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        .replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*");
    },
  };
}

export default defineConfig({
  main: {
    build: {
      // The engine process entry is bundled too, so a packaged app (no tsx, no sources) can start
      // it: Electron's binary with ELECTRON_RUN_AS_NODE=1 runs out/main/engine-worker.js.
      lib: {
        entry: {
          index: resolve(root, 'src/main/index.ts'),
          'engine-worker': resolve(root, 'src/api/worker/engine-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads cannot load ES modules: one CommonJS file, named .cjs because the
      // package is "type": "module".
      lib: { entry: resolve(root, 'src/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [vue(), devCsp()],
    // dicom-image-loader starts its decoder as a module worker and finds its WebAssembly codecs with
    // new URL(..., import.meta.url): the build emits both into assets/ (workers as ES modules, since
    // the decoder imports its codecs lazily); pre-bundling in dev would break those paths.
    optimizeDeps: { exclude: ['@cornerstonejs/dicom-image-loader'], include: ['dicom-parser'] },
    worker: { format: 'es' },
    build: {
      rollupOptions: { input: resolve(root, 'src/renderer/index.html') },
      // Cornerstone3D (vtk.js included) is one large chunk by nature.
      chunkSizeWarningLimit: 12_000,
    },
  },
});
