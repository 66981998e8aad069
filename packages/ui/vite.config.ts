import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The UI is served by @ariadne/query at the site root, with SPA fallback to index.html.
// `npm run dev` proxies the API to a running query service (ARIADNE_QUERY_URL, default :16686).
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': process.env.ARIADNE_QUERY_URL ?? 'http://127.0.0.1:16686',
    },
  },
});
