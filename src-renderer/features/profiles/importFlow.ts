/**
 * Importing files (picked or dropped): each is read as text and handed to the engine, which
 * recognises our profile file or bundle, a Pulsar client.conf, or cluster metadata JSON. An
 * encrypted bundle answers BUNDLE_PASSPHRASE_REQUIRED until given a passphrase (BUNDLE_PASSPHRASE_WRONG
 * for a wrong one), so those errors open the passphrase dialog instead of an error notice. A file that names secrets on this computer
 * (environment variables, token or key files) imports nothing until the user has seen where each
 * one would be read from and said yes in the confirm dialog. A name that is taken (PROFILE_EXISTS)
 * opens the choice of replace / keep both / another name; a client.conf first asks for its name.
 */
import { isAppError } from '../../../shared/errors.ts';
import type { ImportOptions } from '../../../shared/ipc/contract.ts';
import type { AppContext } from '../../lib/context.ts';
import { readText } from '../../lib/files.ts';

/** Imports one file's content; returns true when it was imported. */
export async function importContent(context: AppContext, fileName: string, content: string, options: ImportOptions = {}): Promise<boolean> {
  try {
    const result = await context.profiles.importFile(fileName, content, options);
    if (result.needsConfirmation) {
      const choice = { ...(options.name ? { name: options.name } : {}), ...(options.onConflict ? { onConflict: options.onConflict } : {}) };
      context.ui.open({ kind: 'secretSources', fileName, content, ...(options.passphrase ? { passphrase: options.passphrase } : {}), choice, sources: result.secretSources });
      return false;
    }
    context.ui.close();
    context.ui.stopCreating();
    const names = result.imported.join(', ') || 'nothing';
    // Warnings and the secrets read go in a list above the profile (one per line, kept until
    // dismissed); the notice stays one short line.
    context.ui.reportImport(fileName, result);
    const count = result.warnings.length;
    context.notices.info(`Imported ${names} from ${fileName}.${count ? ` ${count} warning${count === 1 ? '' : 's'}: see the list above the profile.` : ''}`);
    return true;
  } catch (error) {
    if (isAppError(error) && (error.code === 'BUNDLE_PASSPHRASE_REQUIRED' || error.code === 'BUNDLE_PASSPHRASE_WRONG')) {
      context.ui.open({ kind: 'passphrase', fileName, content, wrong: options.passphrase !== undefined });
      return false;
    }
    if (isAppError(error) && error.code === 'PROFILE_EXISTS') {
      const suggestedName = options.name ?? profileNameFrom(fileName);
      const { onConflict: _onConflict, name: _name, ...carried } = options;
      context.ui.open({ kind: 'importChoice', reason: 'clash', fileName, content, options: carried, suggestedName, message: error.message });
      return false;
    }
    // The passphrase (if one was asked) was right: its dialog must not stay open with an old error.
    if (context.ui.dialog.kind !== 'none') context.ui.close();
    context.notices.error(`Could not import ${fileName}`, error);
    return false;
  }
}

/** Imports files one after another (a passphrase prompt stops the sequence at that file). */
export async function importFiles(context: AppContext, files: Iterable<File>): Promise<void> {
  for (const file of files) {
    let content: string;
    try {
      content = await readText(file);
    } catch (error) {
      context.notices.error(`Could not read ${file.name}`, error);
      continue;
    }
    if (/\.conf$/i.test(file.name)) {
      // A client.conf carries no profile name: ask for one (the file name is only a suggestion).
      context.ui.open({ kind: 'importChoice', reason: 'name', fileName: file.name, content, options: {}, suggestedName: profileNameFrom(file.name) });
      return;
    }
    const done = await importContent(context, file.name, content);
    if (!done && context.ui.dialog.kind !== 'none') return;
  }
}

/** A profile name suggested by a file name: "staging client.conf" → "staging-client". */
export function profileNameFrom(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '').replace(/\.(conf|json|yaml|yml)$/i, '').replace(/\.pulsar-tunnel$/i, '');
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return cleaned || 'imported';
}
