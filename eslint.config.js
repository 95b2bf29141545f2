// Lint rules, including the runtime boundaries of docs/architecture.md ("Runtime folders"): the
// folder a file lives in says which runtime it may run in, and an import that crosses that line fails
// the lint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';
import { builtinModules } from 'node:module';
import { layersRule } from './eslint-rules/layers.js';

/**
 * The engine's layers (docs/architecture.md "Layer map", which a test keeps equal to this), lowest
 * first: a folder of src-main/core imports its own folder and the folders of lower layers only, never
 * a folder beside it or above it (the `local/layers` rule, eslint-rules/layers.js).
 */
const coreLayers = [
  { name: 'leaves', folders: ['pulsar', 'certificates', 'secrets', 'config'] },
  { name: 'transport and store', folders: ['transport', 'profiles'] },
  { name: 'routing and web', folders: ['routing', 'web'] },
  { name: 'tunnel and diagnostics', folders: ['tunnel', 'diagnostics'] },
  { name: 'service', folders: ['service'] },
];
/** Imports the layers allow although the map does not: { from: a folder or a file, to: a folder, reason }. */
const coreLayerExceptions = [];

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

/** Builds a `no-restricted-imports` rule from plain names and glob (or regex) patterns, each with its reason. */
function restrict({ names = [], patterns = [] }) {
  return [
    'error',
    {
      paths: names.map(({ name, message, allowImportNames }) => (allowImportNames ? { name, message, allowImportNames } : { name, message })),
      patterns: patterns.map(({ group, regex, message }) => (regex ? { regex, message } : { group, message })),
    },
  ];
}

const noElectron = { name: 'electron', message: 'Only src-main/electron and src-main/preload may import electron.' };
const noNode = nodeBuiltins.map((name) => ({ name, message: 'This folder runs outside Node: no Node built-ins here.' }));
const noRenderer = { group: ['**/src-renderer/**'], message: 'Main-process code must not import the renderer.' };
const noMain = { group: ['**/src-main/**'], message: 'This code must not import main-process code.' };

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**', 'playwright-report/**', '.tmp/**', 'reports/**', '.stryker-tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    // Components and rune modules: the Svelte parser, with TypeScript for <script lang="ts">.
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteFeatures: { runes: true } },
    },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // shared/: plain TypeScript used by main and renderer: no electron, no node:*, no DOM.
    files: ['shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': restrict({ names: [noElectron, ...noNode], patterns: [noRenderer, noMain] }),
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require'],
    },
  },
  {
    // The engine, the CLI and the web host run in plain Node: never electron, never the renderer.
    files: ['src-main/core/**/*.ts', 'src-main/cli/**/*.ts', 'src-main/host/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        names: [noElectron],
        patterns: [noRenderer, { group: ['**/electron/**', '**/preload/**'], message: 'The engine must not depend on the Electron shell.' }],
      }),
    },
  },
  {
    // The engine itself must not reach up into its shells.
    files: ['src-main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        names: [noElectron],
        patterns: [
          noRenderer,
          { group: ['**/electron/**', '**/preload/**', '**/cli/**', '**/host/**'], message: 'core/ is the engine: shells import it, never the other way round.' },
        ],
      }),
    },
  },
  {
    // The layers inside the engine: no import sideways or upwards, so no cycle between its folders.
    files: ['src-main/core/**/*.ts'],
    plugins: { local: { rules: { layers: layersRule } } },
    rules: {
      'local/layers': ['error', { root: 'src-main/core', layers: coreLayers, exceptions: coreLayerExceptions }],
    },
  },
  {
    // The Electron main process: electron and node:* are its world, and it wires the engine (core/);
    // it never imports the renderer (which it loads as a page) nor the other shells. The channel
    // names are shared with the preload (preload/channels.ts), nothing else of it.
    files: ['src-main/electron/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        patterns: [
          noRenderer,
          { group: ['**/cli/**', '**/host/**'], message: 'The Electron shell is one shell among three: it uses core/, never the CLI or the web host.' },
          { group: ['**/preload/**', '!**/preload/channels.ts'], message: 'Main and preload share only the channel names (preload/channels.ts); the preload runs in the renderer.' },
        ],
      }),
    },
  },
  {
    // The preload runs in a sandboxed renderer: electron's renderer-side modules, shared/ and its own
    // folder only. A sandboxed preload has no module loader for anything else (npm packages, Node).
    files: ['src-main/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        names: [
          {
            name: 'electron',
            allowImportNames: ['contextBridge', 'ipcRenderer', 'webFrame', 'webUtils', 'IpcRendererEvent'],
            message: 'A sandboxed preload may use only electron\'s renderer-side modules (contextBridge, ipcRenderer, webFrame, webUtils).',
          },
        ],
        patterns: [
          {
            regex: '^(?!electron$|\\./|(\\.\\./)+shared/)',
            message: 'The sandboxed preload may import only electron, shared/ and its own folder; it reaches the engine over IPC.',
          },
        ],
      }),
    },
  },
  {
    // The renderer: browser only.
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict({ names: [noElectron, ...noNode], patterns: [noMain] }),
    },
  },
  {
    // The state classes keep their working sets (indexes, per-event maps) outside reactivity and
    // publish immutable snapshots through $state.raw, replaced and never mutated; SvelteMap/SvelteSet
    // would make every per-event mutation reactive, which the 10,000-row log cannot afford.
    files: ['src-renderer/lib/state/*.svelte.ts'],
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
