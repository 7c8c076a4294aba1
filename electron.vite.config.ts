import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

// Electron's main process only hosts windows and relays the API to the engine, a plain
// Node process run from source (see src/main/electron), so main and preload stay small.
export default defineConfig({
  main: {
    build: { rollupOptions: { input: { index: resolve('src/main/electron/index.ts') } } },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        // Sandboxed preloads run as classic scripts, so CommonJS in one file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    // The renderer root is src/renderer; the Svelte config sits at the repo root.
    plugins: [svelte({ configFile: resolve('svelte.config.js') })],
    build: { rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
  },
});
