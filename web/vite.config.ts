// Builds the web UI (web/) into dist/web/app/, served by `wiresage ui` (src/web) with no network at run time.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web/app', import.meta.url)), // dist/web/ itself holds the compiled server (src/web)
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev:web` with WIRESAGE_URL=http://127.0.0.1:N and WIRESAGE_TOKEN=T proxies the API to a running `wiresage ui`.
    proxy: process.env.WIRESAGE_URL
      ? { '/api': { target: process.env.WIRESAGE_URL, headers: { authorization: `Bearer ${process.env.WIRESAGE_TOKEN ?? ''}` } } }
      : undefined,
  },
});
