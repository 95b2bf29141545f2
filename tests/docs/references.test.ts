/**
 * The repository stands alone: every file, folder or document section that the Markdown documents
 * (README.md, docs/, the folder READMEs) or the source comments point at exists in the repository.
 * A citation of a note that lives elsewhere, or of a file since moved, fails here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../fixtures/cliProcess.ts';

/** Folders that are not sources: dependencies, build output, test output. */
const skipped = new Set(['node_modules', '.git', 'out', 'dist', 'test-results', 'playwright-report', '.tmp']);

async function listFiles(dir = repoRoot): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skipped.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(relative(repoRoot, path).split(sep).join('/'));
  }
  return files;
}

const files = await listFiles();
const fileSet = new Set(files);
const folders = new Set(files.flatMap((file) => file.split('/').slice(0, -1).map((_, index, parts) => parts.slice(0, index + 1).join('/'))));
/** Top-level folders of the repository: a path starting with one of these is a repository path. */
const topFolders = [...new Set(files.filter((file) => file.includes('/')).map((file) => file.split('/')[0]!))];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

const headingsCache = new Map<string, { titles: Set<string>; slugs: Set<string> }>();
async function headingsOf(file: string): Promise<{ titles: Set<string>; slugs: Set<string> }> {
  let headings = headingsCache.get(file);
  if (!headings) {
    const text = await readFile(join(repoRoot, file), 'utf8');
    const titles = [...text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((match) => match[1]!.replace(/`/g, ''));
    headings = { titles: new Set(titles), slugs: new Set(titles.map(slug)) };
    headingsCache.set(file, headings);
  }
  return headings;
}

function globToRegExp(glob: string): RegExp {
  const pattern = glob
    .split('**/')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('(?:.*/)?');
  return new RegExp(`^${pattern}$`);
}

/** True when `path` (repository-relative, maybe a folder or a glob) names something that exists. */
function exists(path: string): boolean {
  const clean = path.replace(/\/+$/, '');
  if (clean === '') return false;
  if (clean.includes('*')) {
    const pattern = globToRegExp(clean);
    return files.some((file) => pattern.test(file)) || [...folders].some((folder) => pattern.test(folder));
  }
  return fileSet.has(clean) || folders.has(clean);
}

/** Resolves a reference made from `from` (a repository file): relative to its folder, then to the root. */
function resolves(reference: string, from: string): boolean {
  const candidates = [posix.normalize(posix.join(posix.dirname(from), reference)), posix.normalize(reference)];
  return candidates.some((candidate) => !candidate.startsWith('..') && exists(candidate));
}

/** A token that looks like a repository path: under a top-level folder, or any `*.md` document. */
function looksLikeRepoPath(token: string): boolean {
  if (/\s/.test(token) || token.startsWith('/') || /^[a-z]+:/i.test(token)) return false;
  if (/\.md$/.test(token)) return true;
  return topFolders.some((folder) => token === folder || token.startsWith(`${folder}/`));
}

interface Broken {
  in: string;
  reference: string;
}

/** Checks a path reference and, for a document, the sections named after it. */
async function check(reference: string, from: string, sections: string[], broken: Broken[]): Promise<void> {
  const [path, anchor] = reference.split('#') as [string, string | undefined];
  if (path !== '' && !resolves(path, from)) {
    broken.push({ in: from, reference });
    return;
  }
  if (anchor === undefined && sections.length === 0) return;
  const target = path === '' ? from : [posix.normalize(posix.join(posix.dirname(from), path)), posix.normalize(path)].find((candidate) => fileSet.has(candidate));
  if (!target?.endsWith('.md')) return;
  const headings = await headingsOf(target);
  if (anchor !== undefined && !headings.slugs.has(anchor)) broken.push({ in: from, reference });
  for (const section of sections) if (!headings.titles.has(section)) broken.push({ in: from, reference: `${path} "${section}"` });
}

/** `path "Section"`, `path, "Section"`, `path ("Section", "Other")`: the sections quoted right after a document. */
function sectionsAfter(text: string, end: number): string[] {
  const match = /^(?:,\s*|\s*\(\s*|\s+)((?:"[^"\n]+"(?:,\s*|\s+and\s+)?)+)/.exec(text.slice(end));
  return match ? [...match[1]!.matchAll(/"([^"\n]+)"/g)].map((quoted) => quoted[1]!) : [];
}

/** Repository paths and documents cited in a piece of prose (a comment, or Markdown). */
async function checkProse(text: string, from: string, broken: Broken[], tokenPattern: RegExp): Promise<void> {
  for (const match of text.matchAll(tokenPattern)) {
    const token = match[1]!.replace(/[.,:;)]+$/, '');
    if (!looksLikeRepoPath(token)) continue;
    const sections = /\.md$/.test(token) ? sectionsAfter(text, match.index! + match[0].length) : [];
    await check(token, from, sections, broken);
  }
}

/** A comment's words without its markers: the slashes, the block delimiters, the star that starts each line. */
function commentText(comment: string): string {
  return comment
    .replace(/^\/\/+|^\/\*+|\*+\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*(?!\/)\s?/, ''))
    .join('\n');
}

/** The comments of a TypeScript or JavaScript source, in order, as text. */
function commentsOf(source: string, variant: ts.LanguageVariant = ts.LanguageVariant.Standard): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, variant, source);
  const comments: string[] = [];
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.SingleLineCommentTrivia || token === ts.SyntaxKind.MultiLineCommentTrivia) comments.push(commentText(scanner.getTokenText()));
    // A template literal's middle and tail are only found when the scanner is told to look for them.
    if (token === ts.SyntaxKind.CloseBraceToken) scanner.reScanTemplateToken(false);
  }
  return comments;
}

/** A path-like word in a comment: letters, digits, `.`, `-`, `_`, `/`, `*`. */
const commentToken = /(?<![\w/.@-])([\w.*-]+(?:\/[\w.*-]*)*)/g;

const markdownFiles = files.filter((file) => file.endsWith('.md'));
const sourceFiles = files.filter((file) => /\.(ts|js|mjs|cjs|svelte)$/.test(file));

describe('references to repository files', () => {
  it('finds the documents and sources to check', () => {
    expect(markdownFiles).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/pulsar-protocol.md', 'docs/proxies.md']));
    expect(sourceFiles.length).toBeGreaterThan(100);
  });

  it('every Markdown link and backticked repository path in the documents exists, with the section it names', async () => {
    const broken: Broken[] = [];
    for (const file of markdownFiles) {
      const text = await readFile(join(repoRoot, file), 'utf8');
      // Fenced code blocks show commands and configuration, not references.
      const prose = text.replace(/^```[^]*?^```/gm, '');
      for (const link of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = link[1]!;
        if (/^[a-z]+:/i.test(target)) continue;
        await check(decodeURI(target), file, [], broken);
      }
      await checkProse(prose, file, broken, /`([^`\n]+)`/g);
    }
    expect(broken).toEqual([]);
  });

  it('every repository path and document a source comment cites exists, with the section it names', async () => {
    const broken: Broken[] = [];
    for (const file of sourceFiles) {
      const source = await readFile(join(repoRoot, file), 'utf8');
      const comments = file.endsWith('.svelte')
        ? [
            ...[...source.matchAll(/<!--([^]*?)-->/g)].map((match) => match[1]!),
            ...[...source.matchAll(/<script[^>]*>([^]*?)<\/script>/g)].flatMap((match) => commentsOf(match[1]!)),
          ]
        : commentsOf(source);
      for (const comment of comments) await checkProse(comment, file, broken, commentToken);
    }
    expect(broken).toEqual([]);
  });
});

// Kept honest: the checker itself must see a missing file, a missing section and a moved note.
describe('the reference checker', () => {
  it('reports a path that does not exist, a section that does not exist and a note kept outside the repository', async () => {
    const broken: Broken[] = [];
    await checkProse('see docs/no-such-page.md and src-main/core/nowhere.ts', 'src-main/core/example.ts', broken, commentToken);
    await checkProse('as TEAM-NOTES.md says', 'src-main/core/example.ts', broken, commentToken);
    await checkProse('docs/proxies.md, "No Such Section"', 'src-main/core/example.ts', broken, commentToken);
    await check('docs/proxies.md#no-such-anchor', 'README.md', [], broken);
    expect(broken.map((entry) => entry.reference)).toEqual([
      'docs/no-such-page.md',
      'src-main/core/nowhere.ts',
      'TEAM-NOTES.md',
      'docs/proxies.md "No Such Section"',
      'docs/proxies.md#no-such-anchor',
    ]);
  });

  it('accepts files, folders, globs and sections that exist', async () => {
    const broken: Broken[] = [];
    await checkProse('src-main/core/transport/ and tests/unit/core/service/*.test.ts and docs/proxies.md ("ATS pitfalls", "What a client sees")', 'src-main/core/example.ts', broken, commentToken);
    await check('pulsar-protocol.md#framing', 'docs/architecture.md', [], broken);
    expect(broken).toEqual([]);
  });
});
