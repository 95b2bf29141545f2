/**
 * File import and export over a profile store, in the shape the app service's store adapter takes
 * (core/app/storeAdapter.ts `ImportExport`): what the UI's importProfiles/exportProfiles call.
 */
import path from 'node:path';
import type { ExportRequest, ImportResult } from '../../../shared/ipc/contract.ts';
import { exportProfiles } from './export.ts';
import { importContent } from './import/index.ts';
import type { ProfileStore } from './store.ts';

/**
 * Imports and exports through the real importers. For an import, an absolute `fileName` gives the
 * folder that relative paths in the file resolve against; otherwise only absolute paths work.
 */
export const profileImportExport = {
  /**
   * @throws AppError IMPORT_INVALID, PROFILE_EXISTS, BUNDLE_PASSPHRASE_WRONG, CERTIFICATE_INVALID, KEYCHAIN_*.
   */
  async importProfiles(store: ProfileStore, fileName: string, content: string, options?: { passphrase?: string }): Promise<ImportResult> {
    const baseDir = path.isAbsolute(fileName) ? path.dirname(fileName) : undefined;
    const result = await importContent(store, content, path.basename(fileName), { ...(options?.passphrase === undefined ? {} : { passphrase: options.passphrase }), ...(baseDir === undefined ? {} : { baseDir }) });
    return { imported: result.imported, warnings: result.warnings };
  },
  /** @throws AppError PROFILE_NOT_FOUND, KEYCHAIN_* (encrypted exports read the secrets). */
  exportProfiles(store: ProfileStore, request: ExportRequest): Promise<{ fileName: string; content: string }> {
    return exportProfiles(store, request);
  },
};
