/**
 * The CLI's escaping of text from outside the program for a terminal: the functions live in
 * shared/model/printable.ts, so the messages that quote input (profile validation, the importers)
 * escape names and values where they are built, and only a message's own line breaks remain.
 */
export { printable, printableLines } from '../../shared/model/printable.ts';
