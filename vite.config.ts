// The renderer build: the Svelte UI in src-renderer, emitted to out/renderer with relative URLs so
// the same files load from file:// (Electron) and from the web host. The production page carries a
// strict Content-Security-Policy: no inline scripts, no eval, connections to its own origin only.
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { contentSecurityPolicy } from './shared/csp.ts';

/**
 * The CSP for the built page. 'self' covers ws:// to the same host (CSP Level 3), which is how the
 * web host streams the log. Svelte's `style:` directives write through CSSOM, which CSP allows.
 */
export { contentSecurityPolicy };

/** Adds the CSP meta tag to the built page only: Vite's dev server injects inline styles. */
function cspMeta(): Plugin {
  return {
    name: 'pulsar-tunnel-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head-prepend' }],
    },
  };
}

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [svelte(), cspMeta()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    // Keeps the module-preload polyfill out: Electron and current Chromium support modulepreload.
    modulePreload: { polyfill: false },
    // No inline assets in script form; small assets may still be data: URLs (allowed by img-src).
    target: 'es2022',
  },
});
