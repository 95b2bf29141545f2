/**
 * build/, electron-builder's resources, as electron.config.ts uses them: every file it names
 * exists; the Linux PNG set has each size its name says (512 and 1024 included); icon.icns and
 * icon.ico are well-formed containers of PNG images of the right sizes, as our own reading and
 * Debian's readers (icnsutils, icoutils) both say; the macOS entitlements are a valid property list
 * with exactly the hardened-runtime network client/server rights; the Linux desktop entry passes
 * desktop-file-validate.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import config from '../../electron.config.ts';
import { repoRoot } from '../fixtures/cliProcess.ts';
import { ensureProgram } from '../fixtures/systemPrograms.ts';

const buildDir = path.join(repoRoot, 'build');
let dir: string;

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout + stderr))),
  );
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(data: Buffer): { width: number; height: number } {
  expect(data.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(data.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-build-resources-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('build/: the packaging resources', () => {
  it('has every file electron.config.ts names', async () => {
    const named = [config.linux?.icon, config.mac?.icon, config.win?.icon, config.mac?.entitlements, config.mac?.entitlementsInherit];
    expect(named.every((file) => typeof file === 'string')).toBe(true);
    for (const file of named as string[]) await access(path.join(repoRoot, file));
  });

  it('has the Linux PNG set, each the size its name says, up to 1024', async () => {
    const names = (await readdir(path.join(buildDir, 'icons'))).sort();
    const sizes = names.map((name) => Number(/^(\d+)x\1\.png$/.exec(name)?.[1]));
    expect(sizes.every(Number.isInteger)).toBe(true);
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 64, 128, 256, 512, 1024]));
    for (const [index, name] of names.entries()) {
      expect(pngSize(await readFile(path.join(buildDir, 'icons', name)))).toEqual({ width: sizes[index], height: sizes[index] });
    }
  });

  it('has an icns of PNG images from 16 to 1024 px that icnsutils reads', async () => {
    const data = await readFile(path.join(buildDir, 'icon.icns'));
    expect(data.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(data.readUInt32BE(4)).toBe(data.length);
    const entries = new Map<string, number>();
    for (let at = 8; at < data.length; ) {
      const type = data.subarray(at, at + 4).toString('latin1');
      const length = data.readUInt32BE(at + 4);
      entries.set(type, pngSize(data.subarray(at + 8, at + length)).width);
      at += length;
    }
    // Apple's types: ic10 is 512@2x (1024 px), ic09 512, ic08 256, ic07 128, icp5 32, icp4 16.
    expect(Object.fromEntries(entries)).toMatchObject({ icp4: 16, icp5: 32, ic07: 128, ic08: 256, ic09: 512, ic10: 1024 });
    await ensureProgram({ binary: 'icns2png', debianPackage: 'icnsutils', neededFor: 'checking build/icon.icns' });
    expect(await run('icns2png', ['-l', path.join(buildDir, 'icon.icns')])).toMatch(/'ic10' 1024x1024/);
  });

  it('has an ico of PNG images up to 256 px that icoutils reads', async () => {
    const data = await readFile(path.join(buildDir, 'icon.ico'));
    expect([data.readUInt16LE(0), data.readUInt16LE(2)]).toEqual([0, 1]);
    const count = data.readUInt16LE(4);
    const sizes: number[] = [];
    for (let index = 0; index < count; index++) {
      const entry = 6 + index * 16;
      const width = data[entry] === 0 ? 256 : data[entry]!;
      const image = data.subarray(data.readUInt32LE(entry + 12), data.readUInt32LE(entry + 12) + data.readUInt32LE(entry + 8));
      expect(pngSize(image).width).toBe(width);
      sizes.push(width);
    }
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
    await ensureProgram({ binary: 'icotool', debianPackage: 'icoutils', neededFor: 'checking build/icon.ico' });
    expect((await run('icotool', ['--list', path.join(buildDir, 'icon.ico')])).trim().split('\n')).toHaveLength(count);
  });

  it('has macOS entitlements with exactly JIT, network client and network server', async () => {
    const python = await ensureProgram({ binary: 'python3', debianPackage: 'python3', neededFor: 'reading build/entitlements.mac.plist (plistlib)' });
    const keys = await run(python, ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))', path.join(repoRoot, config.mac!.entitlements!)]);
    expect(JSON.parse(keys)).toEqual({ 'com.apple.security.cs.allow-jit': true, 'com.apple.security.network.client': true, 'com.apple.security.network.server': true });
    expect(config.mac?.hardenedRuntime).toBe(true);
  });

  it('has a Linux desktop entry that desktop-file-validate accepts', async () => {
    const entry = config.linux?.desktop?.entry ?? {};
    // The keys electron-builder adds itself, with the values it uses for this configuration.
    const lines = ['[Desktop Entry]', 'Type=Application', `Exec=${config.executableName} %U`, `Icon=${config.executableName}`, 'Terminal=false', ...Object.entries(entry).map(([key, value]) => `${key}=${value}`)];
    const file = path.join(dir, `${config.executableName}.desktop`);
    await writeFile(file, `${lines.join('\n')}\n`);
    await ensureProgram({ binary: 'desktop-file-validate', debianPackage: 'desktop-file-utils', neededFor: 'checking the Linux desktop entry' });
    expect((await run('desktop-file-validate', [file])).trim()).toBe('');
    expect(entry).toMatchObject({ Name: 'Pulsar Tunnel', Categories: 'Development;' });
  });
});
