// Types of ./buildInputs.mjs (plain JavaScript, so bin/ and the build scripts run it without tsx).

/** Where the record of a build into `outputDir` goes: beside that folder (out/renderer.inputs.json for out/renderer). */
export function recordBeside(outputDir: string): string;

/** Writes through a temporary name and a rename: a reader never sees half a file. */
export function writeAtomic(path: string, contents: string | Uint8Array): void;

/** Removes the files of `dir` not in `keep` (absolute paths), leaving other builds' files in the making alone. */
export function removeOthers(dir: string, keep: ReadonlySet<string>): void;

/** Writes the manifest of a build: `files` (absolute, or relative to `root`) with their times and sizes, and `builtAt`. */
export function writeInputsManifest(manifestPath: string, root: string, files: readonly string[], builtAt: number): void;

/** True when the manifest exists and every file it lists (relative to `root`) is unchanged since the build. */
export function inputsAreCurrent(manifestPath: string, root: string): boolean;
