// Lint rules, including the runtime boundaries of HOUSE-STYLE.md: the folder a file lives in says
// which runtime it may run in, and an import that crosses that line fails the lint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

/** Builds a `no-restricted-imports` rule from plain names and glob patterns, each with its reason. */
function restrict({ names = [], patterns = [] }) {
  return [
    'error',
    {
      paths: names.map(({ name, message }) => ({ name, message })),
      patterns: patterns.map(({ group, message }) => ({ group, message })),
    },
  ];
}

const noElectron = { name: 'electron', message: 'Only src-main/electron and src-main/preload may import electron.' };
const noNode = nodeBuiltins.map((name) => ({ name, message: 'This folder runs outside Node: no Node built-ins here.' }));
const noRenderer = { group: ['**/src-renderer/**'], message: 'Main-process code must not import the renderer.' };
const noMain = { group: ['**/src-main/**'], message: 'This code must not import main-process code.' };

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**', 'playwright-report/**', '.tmp/**', '**/*.svelte'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
    // The preload runs in a sandboxed renderer: electron's renderer modules and shared/ only.
    files: ['src-main/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        names: noNode,
        patterns: [noRenderer, { group: ['**/core/**', '**/cli/**', '**/host/**'], message: 'The sandboxed preload can reach the engine only over IPC.' }],
      }),
    },
  },
  {
    // The renderer: browser only.
    files: ['src-renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrict({ names: [noElectron, ...noNode], patterns: [noMain] }),
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
