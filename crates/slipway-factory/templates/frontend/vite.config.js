import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Requests to /api go to the back end; VITE_API_PROXY_TARGET overrides where it runs.
const apiTarget = process.env.VITE_API_PROXY_TARGET ?? {{ api_base_url|tojson }};

export default defineConfig({
  plugins: [react()],
  server: {
    port: {{ dev_port }},
    proxy: {
      '/api': {
        target: apiTarget,
        changeOrigin: true,
        rewrite: (path) => path.replace(/^\/api/, ''),
      },
    },
  },
  test: {
    environment: 'jsdom',
  },
});
