/**
 * Importing files (picked or dropped): each is read as text and handed to the engine, which
 * recognises our profile file or bundle, a Pulsar client.conf, or cluster metadata JSON. An
 * encrypted bundle answers BUNDLE_PASSPHRASE_WRONG until given its passphrase, so that error opens
 * the passphrase dialog instead of an error notice.
 */
import { isAppError } from '../../../shared/errors.ts';
import type { AppContext } from '../../lib/context.ts';
import { readText } from '../../lib/files.ts';

/** Imports one file's content; returns true when it was imported. */
export async function importContent(context: AppContext, fileName: string, content: string, passphrase?: string): Promise<boolean> {
  try {
    const result = await context.profiles.importFile(fileName, content, passphrase);
    context.ui.close();
    context.ui.stopCreating();
    const names = result.imported.join(', ') || 'nothing';
    context.notices.info(`Imported ${names} from ${fileName}.${result.warnings.length ? ` Warnings: ${result.warnings.join('; ')}` : ''}`);
    return true;
  } catch (error) {
    if (isAppError(error) && error.code === 'BUNDLE_PASSPHRASE_WRONG') {
      context.ui.open({ kind: 'passphrase', fileName, content, wrong: passphrase !== undefined });
      return false;
    }
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
    const done = await importContent(context, file.name, content);
    if (!done && context.ui.dialog.kind === 'passphrase') return;
  }
}
