/**
 * Adapts the profile store (core/profiles/store.ts) to the narrow {@link AppStore} port the app
 * service uses. Import and export of files are passed in as functions, because they live in the
 * profiles module's importers, not in the store itself.
 */
import { AppError } from '../../../shared/errors.ts';
import type { ExportRequest, ImportOptions, ImportResult } from '../../../shared/ipc/contract.ts';
import type { SecretKind } from '../../../shared/model/storedProfile.ts';
import type { ProfileStore } from '../profiles/store.ts';
import type { AppStore } from './ports.ts';

/** File import and export, over a store. */
export interface ImportExport {
  importProfiles(store: ProfileStore, fileName: string, content: string, options?: ImportOptions): Promise<ImportResult>;
  exportProfiles(store: ProfileStore, request: ExportRequest): Promise<{ fileName: string; content: string }>;
}

const missingImportExport: ImportExport = {
  async importProfiles() {
    throw new AppError('IMPORT_INVALID', 'Importing files is not available in this build.');
  },
  async exportProfiles() {
    throw new AppError('IMPORT_INVALID', 'Exporting profiles is not available in this build.');
  },
};

/** Wraps a ProfileStore as an AppStore. Errors are the store's AppErrors, unchanged. */
export function storeAdapter(store: ProfileStore, importExport: ImportExport = missingImportExport): AppStore {
  return {
    async list() {
      // Damaged files were moved aside by the store; the UI lists what is usable.
      return (await store.list()).profiles.map((entry) => ({ profile: entry.profile, secrets: entry.secrets }));
    },
    async get(name) {
      return (await store.get(name)).profile;
    },
    async save(input, options) {
      return (await store.save(input, options?.previousName === undefined ? {} : { previousName: options.previousName })).entry.profile;
    },
    async duplicate(name, newName, options) {
      return (await store.duplicate(name, newName, options)).profile;
    },
    remove: (name) => store.remove(name),
    async secretsPresent(name): Promise<Record<SecretKind, boolean>> {
      return (await store.get(name)).secrets;
    },
    setSecret: (name, kind, value) => store.setSecret(name, kind, value),
    keychainStatus: () => store.keychainStatus(),
    importProfiles: (fileName, content, options) => importExport.importProfiles(store, fileName, content, options),
    exportProfiles: (request) => importExport.exportProfiles(store, request),
    tunnelConfig: (name) => store.tunnelConfig(name),
    draftTunnelConfig: (input, options) =>
      store.draftTunnelConfig(input, {
        ...(options.previousName === undefined ? {} : { previousName: options.previousName }),
        ...(options.token === undefined ? {} : { secrets: { token: options.token } }),
      }),
  };
}
