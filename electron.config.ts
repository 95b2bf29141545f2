/**
 * electron-builder configuration, used as `electron-builder --config electron.config.ts`
 * (`npm run package`, after `npm run build:main` and `npm run build:renderer`). Packaging downloads
 * Electron, Electron's headers (to rebuild keytar) and the target tool chains, so the installers are
 * made on a developer's or release machine with internet; tests/packaging/unpackedApp.test.ts runs
 * the same configuration offline with a stand-in Electron and the `dir` target.
 *
 * The app carries only what it runs: the main bundle (which has zod and protobufjs bundled in, see
 * src-main/electron/vite.main.config.ts), the preload, the renderer, package.json, and keytar's
 * JavaScript and native module. The CLI's build and every other package (keytar's build-from-source
 * helpers such as prebuild-install, esbuild, tsx) stay out.
 */
import type { Configuration } from 'electron-builder';

/**
 * What of node_modules the app ships: keytar's entry point, licence and native module, nothing else.
 * electron-builder applies only the exclusions of `files` to node_modules (it always starts from
 * the production dependencies), hence patterns that exclude all but these.
 */
export const nodeModulesExclusions = [
  '!node_modules/!(keytar){,/**}',
  '!node_modules/keytar/!(package.json|LICENSE.md|lib|build){,/**}',
  '!node_modules/keytar/build/!(Release){,/**}',
  '!node_modules/keytar/build/Release/!(keytar.node){,/**}',
];

const config: Configuration = {
  appId: 'dev.pulsar-tunnel.app',
  productName: 'Pulsar Tunnel',
  // Lower-case executable name on Linux (the desktop entry's Exec and the deb's binary).
  executableName: 'pulsar-tunnel',
  directories: { output: 'dist', buildResources: 'build' },
  files: ['out/main/**', 'out/engine/**', 'out/preload/**', 'out/renderer/**', '!**/*.map', 'package.json', ...nodeModulesExclusions],
  extraMetadata: { main: 'out/main/index.js' },
  // A native module cannot be loaded from inside app.asar: keytar.node is unpacked beside it.
  asarUnpack: ['node_modules/keytar/build/Release/*.node'],
  // keytar is rebuilt for Electron and the target's architecture at package time (@electron/rebuild,
  // which downloads Electron's headers), from source: its prebuilt binaries come from GitHub releases.
  npmRebuild: true,
  buildDependenciesFromSource: true,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    icon: 'build/icons',
    synopsis: 'Local tunnels to Apache Pulsar clusters behind an SNI-routing proxy',
    desktop: {
      entry: {
        Name: 'Pulsar Tunnel',
        GenericName: 'Pulsar tunnel client',
        Comment: 'Local tunnels to Apache Pulsar clusters behind an SNI-routing proxy',
        // One main category (the freedesktop menu spec): two would list the app twice.
        Categories: 'Development;',
        Keywords: 'pulsar;tunnel;sni;proxy;tls;',
        StartupWMClass: 'Pulsar Tunnel',
        StartupNotify: 'true',
      },
    },
  },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
    icon: 'build/icon.icns',
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
  },
  win: { target: ['nsis'], icon: 'build/icon.ico' },
  nsis: { oneClick: false, perMachine: false },
};

export default config;
