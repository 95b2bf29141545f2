/**
 * File import and export over a profile store, in the shape the app service's store adapter takes
 * (core/app/storeAdapter.ts `ImportExport`): what the UI's importProfiles/exportProfiles call.
 */
import path from 'node:path';
import type { ExportRequest, ImportOptions, ImportResult } from '../../../shared/ipc/contract.ts';
import { exportProfiles } from './export.ts';
import { importContent } from './import/index.ts';
import type { ProfileStore } from './store.ts';

/**
 * Imports and exports through the real importers. For an import, an absolute `fileName` gives the
 * folder that relative paths in the file resolve against; otherwise only absolute paths work.
 */
export const profileImportExport = {
  /**
   * Without `options.readSecrets`, a file naming secrets on this computer imports nothing and
   * answers `needsConfirmation` with the list.
   * @throws AppError IMPORT_INVALID, IMPORT_TOO_LARGE, PROFILE_EXISTS, BUNDLE_PASSPHRASE_WRONG, CERTIFICATE_INVALID, KEYCHAIN_*.
   */
  async importProfiles(store: ProfileStore, fileName: string, content: string, options?: ImportOptions): Promise<ImportResult> {
    const baseDir = path.isAbsolute(fileName) ? path.dirname(fileName) : undefined;
    const result = await importContent(store, content, path.basename(fileName), {
      ...(options?.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(baseDir === undefined ? {} : { baseDir }),
      readSecrets: options?.readSecrets === true,
    });
    return { imported: result.imported, warnings: result.warnings, secretSources: result.secretSources, ...(result.needsConfirmation ? { needsConfirmation: true } : {}) };
  },
  /** @throws AppError PROFILE_NOT_FOUND, KEYCHAIN_* (encrypted exports read the secrets). */
  exportProfiles(store: ProfileStore, request: ExportRequest): Promise<{ fileName: string; content: string }> {
    return exportProfiles(store, request);
  },
};
