/**
 * The engine's layer map bites: `npm run lint` (the real eslint.config.js, through ESLint's Node
 * API) fails a file of src-main/core that imports a folder above it or beside it, or that lives in a
 * folder the map does not place; and docs/architecture.md shows the same map as the config.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../fixtures/cliProcess.ts';

const eslint = new ESLint({ cwd: repoRoot });

interface LayersOptions {
  root: string;
  layers: { name: string; folders: string[] }[];
  exceptions: { from: string; to: string; reason: string }[];
}

/** The messages of the layer rule for `source` as if it were the file `filePath` (it need not exist). */
async function layerMessages(source: string, filePath: string, engine = eslint): Promise<Linter.LintMessage[]> {
  const [result] = await engine.lintText(source, { filePath: join(repoRoot, filePath) });
  return result!.messages.filter((message) => message.ruleId === 'local/layers');
}

async function configuredLayers(): Promise<LayersOptions> {
  const config = (await eslint.calculateConfigForFile(join(repoRoot, 'src-main/core/service/appService.ts'))) as Linter.Config;
  const setting = config.rules?.['local/layers'] as [unknown, LayersOptions] | undefined;
  if (!setting) throw new Error('eslint.config.js has no local/layers rule for src-main/core');
  return setting[1];
}

describe('the layers of src-main/core in npm run lint', () => {
  it('fails an import upwards: the transport importing routing, the cycle the tunnel folder used to have', async () => {
    const messages = await layerMessages("import { PulsarSession } from '../routing/pulsarSession.ts';\nexport const session = PulsarSession;\n", 'src-main/core/transport/upward.ts');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ severity: 2, messageId: 'upward', line: 1 });
    expect(messages[0]!.message).toContain('transport/ (layer "transport and store") must not import routing/');
  });

  it('fails a type-only import upwards and a dynamic one, which are dependencies all the same', async () => {
    const source = "import type { TunnelOptions } from '../tunnel/tunnel.ts';\nexport type Options = TunnelOptions;\nexport const later = () => import('../service/appService.ts');\n";
    const messages = await layerMessages(source, 'src-main/core/web/upward.ts');
    expect(messages.map((message) => [message.messageId, message.line])).toEqual([
      ['upward', 1],
      ['upward', 3],
    ]);
  });

  it('fails an import sideways between the folders of one layer (routing and web)', async () => {
    const messages = await layerMessages("export { WebProxy } from '../web/webProxy.ts';\n", 'src-main/core/routing/sideways.ts');
    expect(messages).toMatchObject([{ messageId: 'sideways' }]);
  });

  it('fails a file in a folder the map does not place, and an import of one', async () => {
    expect(await layerMessages('export const x = 1;\n', 'src-main/core/newFolder/thing.ts')).toMatchObject([{ messageId: 'unplaced' }]);
    expect(await layerMessages("export { x } from '../newFolder/thing.ts';\n", 'src-main/core/service/uses.ts')).toMatchObject([{ messageId: 'unplaced' }]);
  });

  it('lets a file import its own folder and the layers below, shared/ and Node', async () => {
    const source = [
      "import net from 'node:net';",
      "import { AppError } from '../../../shared/errors.ts';",
      "import { FrameReader } from '../pulsar/frameReader.ts';",
      "import { createDialer } from '../transport/dialer.ts';",
      "import type { TunnelConfig } from '../config/tunnelConfig.ts';",
      "import { OrderedOutput } from './orderedOutput.ts';",
      'export type Config = TunnelConfig;',
      'export const all = [net, AppError, FrameReader, createDialer, OrderedOutput];',
      '',
    ].join('\n');
    expect(await layerMessages(source, 'src-main/core/routing/downward.ts')).toEqual([]);
  });

  it('lets an import through that the exceptions of the config list, and no other', async () => {
    const layers = await configuredLayers();
    const exceptions = [...layers.exceptions, { from: 'src-main/core/transport/allowed.ts', to: 'routing', reason: 'test' }];
    const withException = new ESLint({
      cwd: repoRoot,
      overrideConfig: { files: ['src-main/core/**/*.ts'], rules: { 'local/layers': ['error', { ...layers, exceptions }] } },
    });
    const source = "export { PulsarSession } from '../routing/pulsarSession.ts';\n";
    expect(await layerMessages(source, 'src-main/core/transport/allowed.ts', withException)).toEqual([]);
    expect(await layerMessages(source, 'src-main/core/transport/other.ts', withException)).toMatchObject([{ messageId: 'upward' }]);
  });

  it('places every folder of src-main/core, and only folders that exist', async () => {
    const { layers } = await configuredLayers();
    const folders = (await readdir(join(repoRoot, 'src-main/core'), { withFileTypes: true })).filter((entry) => entry.isDirectory());
    // An empty folder (left behind by a move; git does not track it) is no folder of the source.
    const onDisk: string[] = [];
    for (const folder of folders) if ((await readdir(join(repoRoot, 'src-main/core', folder.name))).length > 0) onDisk.push(folder.name);
    expect(layers.flatMap((layer) => layer.folders).sort()).toEqual(onDisk.sort());
  });

  it('has each folder say what it is and its layer in a two-line README.md', async () => {
    const { layers } = await configuredLayers();
    for (const { name, folders } of layers) {
      for (const folder of folders) {
        const lines = (await readFile(join(repoRoot, 'src-main/core', folder, 'README.md'), 'utf8')).trimEnd().split('\n');
        expect(lines, folder).toHaveLength(2);
        expect(lines[1], folder).toMatch(new RegExp(`^Layer: ${name}[.,]`));
      }
    }
  });

  it('is the map docs/architecture.md shows, layer by layer', async () => {
    const { layers } = await configuredLayers();
    const doc = await readFile(join(repoRoot, 'docs/architecture.md'), 'utf8');
    const section = doc.split(/^## /m).find((part) => part.startsWith('Layer map'));
    if (!section) throw new Error('docs/architecture.md has no "Layer map" section');
    // Rows of the section's table, top layer first: | name | `folder/`, `folder/` | may import |
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| layer') && !/^\|[-| ]+\|$/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const shown = rows.map((cells) => ({ name: cells[1], folders: [...cells[2]!.matchAll(/`([^`/]+)\/`/g)].map((match) => match[1]) })).reverse();
    expect(shown).toEqual(layers.map(({ name, folders }) => ({ name, folders })));
  });
});
