/**
 * File import and export over a profile store, in the shape the app service's store adapter takes
 * (core/service/storeAdapter.ts `ImportExport`): what the UI's importProfiles/exportProfiles call.
 * Unlike the CLI (flags --replace and --name), the UI resolves a name clash with a choice:
 * replace the existing profile, keep both (the import gets a free name), or a name of its own.
 */
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import type { ExportRequest, ImportOptions, ImportResult } from '../../../shared/ipc/contract.ts';
import { exportProfiles } from './export.ts';
import { parseImport } from './import/index.ts';
import { giveWebPorts } from './import/webPort.ts';
import type { ProfileStore } from './store.ts';
import { sameName } from './validate.ts';

/**
 * Imports and exports through the real importers. For an import, an absolute `fileName` gives the
 * folder that relative paths in the file resolve against; otherwise only absolute paths work.
 */
export const profileImportExport = {
  /**
   * Without `options.readSecrets`, a file naming secrets on this computer imports nothing and
   * answers `needsConfirmation` with the list. A name that exists is refused with PROFILE_EXISTS
   * unless `options.onConflict` says what to do (or `options.name` gives another name).
   * @throws AppError IMPORT_INVALID, IMPORT_TOO_LARGE, PROFILE_EXISTS (naming the profile),
   *   BUNDLE_PASSPHRASE_WRONG, CERTIFICATE_INVALID, KEYCHAIN_*.
   */
  async importProfiles(store: ProfileStore, fileName: string, content: string, options: ImportOptions = {}): Promise<ImportResult> {
    const baseDir = path.isAbsolute(fileName) ? path.dirname(fileName) : undefined;
    const parsed = await parseImport(content, path.basename(fileName), {
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(baseDir === undefined ? {} : { baseDir }),
      readSecrets: options.readSecrets === true,
    });
    const { secretSources } = parsed;
    if (parsed.needsConfirmation) return { imported: [], warnings: parsed.warnings, secretSources, needsConfirmation: true };
    let items = parsed.items;
    // A name of the user's choosing works for any file holding one profile (a bundle of one too).
    if (options.name !== undefined) {
      if (items.length !== 1) throw new AppError('IMPORT_INVALID', `${path.basename(fileName)} holds ${items.length} profiles; a name can be given to a file of one profile only.`);
      items = [{ ...items[0]!, profile: { ...items[0]!.profile, name: options.name } }];
    }
    const stored = (await store.list()).profiles.map((entry) => entry.profile);
    const taken = stored.map((profile) => profile.name);
    const warnings = [...parsed.warnings];
    const clash = items.find((item) => taken.some((name) => sameName(name, String(item.profile.name))));
    if (clash && options.onConflict === undefined) {
      throw new AppError('PROFILE_EXISTS', `A profile named "${String(clash.profile.name)}" already exists: replace it, keep both, or import under another name.`);
    }
    if (options.onConflict === 'keepBoth') {
      const used = [...taken];
      items = items.map((item) => {
        const name = String(item.profile.name);
        if (!used.some((other) => sameName(other, name))) return item;
        const free = freeName(name, used);
        used.push(free);
        warnings.push(`Imported "${name}" as "${free}": a profile named "${name}" already exists.`);
        return { ...item, profile: { ...item.profile, name: free } };
      });
    }
    const web = giveWebPorts(items, parsed.kind, stored);
    items = web.items;
    warnings.push(...web.warnings);
    const result = await store.importProfiles(items, { replace: options.onConflict === 'replace' });
    // A bundle can make a profile start with the app: the UI is told which (the warnings say it too).
    const autoStart = items.filter((item) => item.profile.autoStart === true).map((item) => String(item.profile.name));
    return { imported: result.imported, warnings: [...warnings, ...result.warnings], secretSources, ...(autoStart.length > 0 ? { autoStart } : {}) };
  },
  /** @throws AppError PROFILE_NOT_FOUND, KEYCHAIN_* (encrypted exports read the secrets). */
  exportProfiles(store: ProfileStore, request: ExportRequest): Promise<{ fileName: string; content: string }> {
    return exportProfiles(store, request);
  },
};

/** `name-2`, `name-3`, ... : the first that no profile in `used` has (names compare case-insensitively). */
function freeName(name: string, used: readonly string[]): string {
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${name.slice(0, 60)}-${suffix}`;
    if (!used.some((other) => sameName(other, candidate))) return candidate;
  }
}
