/**
 * electron-builder configuration, used as `electron-builder --config electron.config.ts`
 * (`npm run package`). Packaging downloads Electron and the target tool chains, so it runs on a
 * developer's or release machine with internet, not in this repository's CI.
 */
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'dev.pulsar-tunnel.app',
  productName: 'Pulsar Tunnel',
  directories: { output: 'dist', buildResources: 'build' },
  files: ['out/**', 'package.json'],
  extraMetadata: { main: 'out/main/index.js' },
  linux: { target: ['AppImage', 'deb'], category: 'Development', icon: 'build/icons' },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools', icon: 'build/icon.icns' },
  win: { target: ['nsis'], icon: 'build/icon.ico' },
  nsis: { oneClick: false, perMachine: false },
};

export default config;
