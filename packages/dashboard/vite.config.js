// Build: `npm run build -w @jobfleet/dashboard` writes dist/ (served by @jobfleet/server at / when
// ServerConfig.dashboardDir points there). Dev: `npm run dev -w @jobfleet/dashboard` proxies the API
// to JOBFLEET_URL (default http://127.0.0.1:3000).
import { defineConfig } from 'vite';

const target = process.env.JOBFLEET_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // No network at runtime: everything is bundled; no fonts, no CDN.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: true },
      '/graphql': { target, changeOrigin: true },
    },
  },
});
