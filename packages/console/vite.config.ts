import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The manager serves dist/ on its console port (packages/platform-manager/src/http/console-assets.ts).
// No inline scripts or styles, so the manager's Content-Security-Policy can forbid them.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
});
