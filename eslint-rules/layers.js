// The `local/layers` rule: the folders under one root (src-main/core) are stacked in layers, and a
// file may import its own folder and the folders of lower layers, nothing beside it or above it. A
// folder the map does not place is an error too, so a new folder has to be given a layer. Layers
// without sideways or upward imports cannot form a cycle between folders. Relative imports only:
// shared/, node:* and npm packages are the runtime rules' business (eslint.config.js).
import path from 'node:path';

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between the folders of a layered root go only downwards (docs/architecture.md "Layer map").' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          layers: {
            type: 'array',
            items: {
              type: 'object',
              properties: { name: { type: 'string' }, folders: { type: 'array', items: { type: 'string' } } },
              required: ['name', 'folders'],
              additionalProperties: false,
            },
          },
          exceptions: {
            type: 'array',
            items: {
              type: 'object',
              properties: { from: { type: 'string' }, to: { type: 'string' }, reason: { type: 'string' } },
              required: ['from', 'to', 'reason'],
              additionalProperties: false,
            },
          },
        },
        required: ['root', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward: '{{from}}/ (layer "{{fromLayer}}") must not import {{to}}/ (layer "{{toLayer}}", above it): a layer imports only the layers below it (docs/architecture.md "Layer map").',
      sideways: '{{from}}/ must not import {{to}}/: both are in layer "{{fromLayer}}", and folders of one layer do not import each other (docs/architecture.md "Layer map").',
      unplaced: '{{folder}}/ has no layer: add it to the layer map in eslint.config.js and docs/architecture.md.',
    },
  },
  create(context) {
    const { root, layers, exceptions = [] } = context.options[0];
    const rootDir = path.resolve(context.cwd, root);
    const layerOf = new Map(layers.flatMap((layer, index) => layer.folders.map((folder) => [folder, { index, name: layer.name }])));
    /** The folder under the root that a path lies in, or undefined outside the root (or directly in it). */
    const folderOf = (file) => {
      const relative = path.relative(rootDir, file);
      if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
      const parts = relative.split(path.sep);
      return parts.length > 1 ? parts[0] : undefined;
    };
    const file = context.filename;
    const from = folderOf(file);
    if (from === undefined) return {};
    const fromRelative = path.relative(context.cwd, file).split(path.sep).join('/');
    const fromLayer = layerOf.get(from);

    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = folderOf(path.resolve(path.dirname(file), source));
      if (to === undefined || to === from) return;
      if (exceptions.some((exception) => (exception.from === fromRelative || exception.from === from) && exception.to === to)) return;
      const toLayer = layerOf.get(to);
      if (!toLayer) return context.report({ node, messageId: 'unplaced', data: { folder: to } });
      if (toLayer.index < fromLayer.index) return;
      context.report({ node, messageId: toLayer.index > fromLayer.index ? 'upward' : 'sideways', data: { from, to, fromLayer: fromLayer.name, toLayer: toLayer.name } });
    }

    if (!fromLayer) {
      return { Program: (node) => context.report({ node, messageId: 'unplaced', data: { folder: from } }) };
    }
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};
