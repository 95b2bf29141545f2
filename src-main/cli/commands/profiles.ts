/**
 * `pulsar-tunnel profiles list|show|import|export|remove`: the profile store from the command line.
 * Exit codes (through CliExit, which main.ts turns into the process status): 0 ok, 1 runtime
 * failure (keychain, store), 2 bad input (malformed file, unknown profile, duplicate name, wrong
 * passphrase). Bad input changes nothing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { AppError, isAppError, type ErrorCode } from '../../../shared/errors.ts';
import type { SecretSource } from '../../../shared/ipc/contract.ts';
import type { CertificateSummary } from '../../../shared/model/certificate.ts';
import type { ProfileStore } from '../../core/profiles/store.ts';
import { CliExit, type CliContext } from '../context.ts';
import { printable } from '../printable.ts';

// The engine modules (and zod, which they load) are imported when a command runs, not when the
// CLI starts: `--help` and every other command stay fast (bin/pulsar-tunnel.mjs).
const storeModule = () => import('../../core/profiles/store.ts');
const storedProfileModule = () => import('../../../shared/model/storedProfile.ts');
const profileViewModule = () => import('../../core/service/profileView.ts');

/** Where the profile commands get the store and write their output; main.ts may leave all of it out. */
export interface ProfilesIo {
  openStore(): Promise<ProfileStore>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Codes that mean the user's input was wrong (exit 2); every other failure exits 1. */
const badInputCodes = new Set<ErrorCode>(['PROFILE_INVALID', 'PROFILE_NOT_FOUND', 'PROFILE_EXISTS', 'IMPORT_INVALID', 'IMPORT_TOO_LARGE', 'FILE_NOT_REGULAR', 'IMPORT_SECRETS_NOT_CONFIRMED', 'BUNDLE_PASSPHRASE_WRONG', 'BUNDLE_PASSPHRASE_REQUIRED', 'CERTIFICATE_INVALID', 'API_BAD_REQUEST']);

/** Fills in the defaults: the default store, the process's streams and environment. */
export function profilesIo(ctx: Partial<CliContext> & Partial<ProfilesIo> = {}): ProfilesIo {
  return {
    openStore: ctx.openStore ?? (async () => (await storeModule()).openDefaultStore()),
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    env: ctx.env ?? process.env,
  };
}

/**
 * Runs a command body with a store, disposing it afterwards, and turns AppErrors into CliExit
 * with the right status.
 */
export async function withStore<T>(io: ProfilesIo, body: (store: ProfileStore) => Promise<T>): Promise<T> {
  let store: ProfileStore | undefined;
  try {
    store = await io.openStore();
    return await body(store);
  } catch (error) {
    if (isAppError(error)) throw new CliExit(badInputCodes.has(error.code) ? 2 : 1, `${error.code}: ${error.message}`);
    throw error;
  } finally {
    store?.dispose();
  }
}

/** Reads the passphrase from a file (first line) or an environment variable; never from the command line, where `ps` would show it. */
export async function readPassphrase(options: { passphraseFile?: string; passphraseEnv?: string }, io: ProfilesIo): Promise<string | undefined> {
  if (options.passphraseFile !== undefined && options.passphraseEnv !== undefined) throw new CliExit(2, 'Give either --passphrase-file or --passphrase-env, not both.');
  if (options.passphraseFile !== undefined) {
    try {
      const text = await readFile(options.passphraseFile, 'utf8');
      return text.replace(/\r?\n$/, '');
    } catch (error) {
      throw new CliExit(2, `--passphrase-file: cannot read ${options.passphraseFile} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  if (options.passphraseEnv !== undefined) {
    const value = io.env[options.passphraseEnv];
    if (value === undefined || value === '') throw new CliExit(2, `--passphrase-env: the environment variable ${options.passphraseEnv} is not set`);
    return value;
  }
  return undefined;
}

interface ImportOptions {
  name?: string;
  replace?: boolean;
  passphraseFile?: string;
  passphraseEnv?: string;
  trustCerts?: string;
  cert?: string;
  key?: string;
  tokenFile?: string;
  readSecrets?: boolean;
  json?: boolean;
}

/** One line per secret an import read (or would read) from this computer. */
function secretSourceLine(source: SecretSource): string {
  const what = source.secret === 'token' ? 'token' : 'client private key';
  const file = source.linkedFrom === undefined ? source.name : `${source.linkedFrom} → ${source.name}${source.outsideFolder ? " (a link out of the file's folder)" : ''}`;
  return `${what} from ${source.from === 'env' ? `environment variable ${source.name}` : `file ${file}`} (named by ${source.field})${source.sentTo === undefined ? '' : `, to be sent to ${source.sentTo}`}`;
}

function json(io: ProfilesIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function certLine(label: string, cert: CertificateSummary): string {
  const status = cert.status === 'valid' ? '' : ` [${cert.status.toUpperCase()}]`;
  return `${label}: ${cert.subject} (issuer ${cert.issuer}; valid to ${cert.validTo.slice(0, 10)}, ${cert.daysLeft} days left${status}; SHA-256 ${cert.fingerprint256})`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** Registers `profiles list|show|import|export|remove` on `program`. */
export function registerProfilesCommands(program: Command, ctx: Partial<CliContext> & Partial<ProfilesIo> = {}): void {
  const io = profilesIo(ctx);
  const profiles = program.command('profiles').description('manage the stored profiles (secrets live in the OS keychain)');

  profiles
    .command('list')
    .description('list the stored profiles')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { json?: boolean }) => {
      const [{ profileViewOf }, { secretKinds }] = await Promise.all([profileViewModule(), storedProfileModule()]);
      await withStore(io, async (store) => {
        const { profiles: entries, problems } = await store.list();
        for (const problem of problems) io.stderr.write(`warning: ${printable(problem.message)}\n`);
        if (options.json) {
          json(io, {
            profiles: entries.map((entry) => ({ ...profileViewOf(entry.profile, entry.secrets), updatedAt: entry.updatedAt })),
            problems,
          });
          return;
        }
        if (entries.length === 0) {
          io.stdout.write(`No profiles in ${store.profilesDir}; add one with: pulsar-tunnel profiles import <file>\n`);
          return;
        }
        const rows = [['NAME', 'SERVICE', 'PROXY', 'AUTH', 'LISTEN', 'SECRETS']];
        for (const { profile, secrets } of entries) {
          const listen = `${profile.listen.host ?? '127.0.0.1'}:${profile.listen.port ?? 6650}${profile.listen.webPort !== undefined ? ` +web ${profile.listen.webPort}` : ''}`;
          const held = secretKinds.filter((kind) => secrets[kind]).join(',') || '-';
          rows.push([profile.name, profile.serviceUrl, profile.proxyServiceUrl ?? '-', profile.auth, listen, held]);
        }
        io.stdout.write(`${table(rows.map((row) => row.map(printable)))}\n`);
      });
    });

  profiles
    .command('show')
    .description('show one profile, its certificates and which secrets the keychain holds')
    .argument('<name>', 'profile name')
    .option('--json', 'print JSON for scripts')
    .action(async (name: string, options: { json?: boolean }) => {
      const [{ secretKinds }, { formatRisk, riskySettings }, { profileViewOf }] = await Promise.all([
        storedProfileModule(),
        import('../../../shared/model/risks.ts'),
        profileViewModule(),
      ]);
      await withStore(io, async (store) => {
        const entry = await store.get(name);
        const view = profileViewOf(entry.profile, entry.secrets);
        if (options.json) {
          json(io, view);
          return;
        }
        const { profile } = view;
        const lines = [
          `name: ${profile.name}`,
          `serviceUrl: ${profile.serviceUrl}`,
          `proxyServiceUrl: ${profile.proxyServiceUrl ?? '(none: straight to the brokers)'}`,
          ...(profile.webServiceUrl ? [`webServiceUrl: ${profile.webServiceUrl}`] : []),
          `auth: ${profile.auth}`,
          `listen: ${profile.listen.host ?? '127.0.0.1'}:${profile.listen.port ?? 6650}${profile.listen.webPort !== undefined ? `, web ${profile.listen.webPort}` : ''}`,
          `tlsHostnameVerificationEnable: ${profile.tlsHostnameVerificationEnable}`,
          `tlsAllowInsecureConnection: ${profile.tlsAllowInsecureConnection}`,
          `pulsarProtocol: ${profile.pulsarProtocol}`,
          ...view.trustCerts.map((cert, index) => certLine(`CA ${index + 1}`, cert)),
          ...(view.clientCert ? [certLine('client certificate', view.clientCert)] : []),
          `secrets in the OS keychain: ${secretKinds.filter((kind) => view.secrets[kind]).join(', ') || 'none'}`,
          ...riskySettings(profile).map((risk) => `warning: ${formatRisk(risk)}`),
        ];
        io.stdout.write(`${lines.map(printable).join('\n')}\n`);
      });
    });

  profiles
    .command('import')
    .description('import a profile file, a bundle, a Pulsar client.conf or cluster metadata JSON (pulsar-admin clusters get)')
    .argument('<file>', 'the file to import')
    .option('--name <name>', 'name of the imported profile (single-profile files)')
    .option('--replace', 'replace profiles that already exist')
    .option('--trust-certs <file>', 'CA certificates (PEM) for the imported profile, e.g. with cluster metadata')
    .option('--cert <file>', 'client certificate (PEM) for the imported profile (with --key)')
    .option('--key <file>', 'client private key (PEM) for the imported profile (with --cert)')
    .option('--token-file <file>', 'file holding the token for the imported profile')
    .option('--passphrase-file <file>', 'file holding the passphrase of an encrypted bundle')
    .option('--passphrase-env <variable>', 'environment variable holding the passphrase of an encrypted bundle')
    .option('--read-secrets', 'read the secrets the file names on this computer (environment variables, token and key files); without it such a file is refused with the list')
    .option('--json', 'print JSON for scripts')
    .action(async (file: string, options: ImportOptions) => {
      const passphrase = await readPassphrase(options, io);
      const { importFile } = await import('../../core/profiles/import/index.ts');
      await withStore(io, async (store) => {
        const overrides = { trustCertsFile: options.trustCerts, certFile: options.cert, keyFile: options.key, tokenFile: options.tokenFile };
        const result = await importFile(store, file, { name: options.name, replace: options.replace, passphrase, env: io.env, overrides, readSecrets: options.readSecrets === true }).catch((error: unknown) => {
          if (isAppError(error) && error.code === 'BUNDLE_PASSPHRASE_REQUIRED') {
            throw new AppError(error.code, `${error.message.replace(/\.$/, '')}: --passphrase-file FILE (its first line) or --passphrase-env VARIABLE.`, { cause: error });
          }
          throw error;
        });
        if (options.json) json(io, result);
        else for (const warning of result.warnings) io.stderr.write(`warning: ${printable(warning)}\n`);
        if (result.needsConfirmation) {
          // A file from elsewhere could name any variable or file here and send its secret to its
          // author's server: the user says yes explicitly.
          throw new CliExit(
            2,
            `IMPORT_SECRETS_NOT_CONFIRMED: ${file} names secrets to read from this computer:\n${result.secretSources.map((source) => `  - ${printable(secretSourceLine(source))}`).join('\n')}\n` +
              'Nothing was imported. If you trust this file with them, import again with --read-secrets (or give the credential yourself with --token-file, --cert and --key).',
          );
        }
        if (options.json) return;
        for (const source of result.secretSources) io.stderr.write(`read ${printable(secretSourceLine(source))}
`);
        io.stdout.write(`imported ${printable(result.imported.join(', '))} (${result.kind})
`);
      });
    });

  profiles
    .command('export')
    .description('export profiles (all when none is named) as a bundle; secrets only with a passphrase (encrypted)')
    .argument('[names...]', 'profiles to export')
    .option('-o, --output <file>', 'write the bundle to this file instead of stdout')
    .option('--passphrase-file <file>', 'encrypt with the passphrase in this file and include the secrets')
    .option('--passphrase-env <variable>', 'encrypt with the passphrase in this environment variable and include the secrets')
    .option('--json', 'with --output: print what was written as JSON')
    .action(async (names: string[], options: { output?: string; passphraseFile?: string; passphraseEnv?: string; json?: boolean }) => {
      const passphrase = await readPassphrase(options, io);
      const [{ exportProfiles }, { writeFileAtomic }] = await Promise.all([import('../../core/profiles/export.ts'), import('../../core/profiles/storeFiles.ts')]);
      await withStore(io, async (store) => {
        const bundle = await exportProfiles(store, { names, ...(passphrase === undefined ? {} : { passphrase }) });
        if (options.output === undefined) {
          io.stdout.write(bundle.content);
          return;
        }
        const target = path.resolve(options.output);
        try {
          await writeFileAtomic(target, bundle.content, 0o600);
        } catch (error) {
          throw new CliExit(2, `--output: cannot write ${target} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
        }
        const exported = (JSON.parse(bundle.content) as { profiles?: { profile: { name: string } }[] }).profiles?.map((entry) => entry.profile.name) ?? names;
        if (options.json) json(io, { file: target, encrypted: passphrase !== undefined, profiles: names.length > 0 ? names : exported });
        else io.stdout.write(`wrote ${target}${passphrase !== undefined ? ' (encrypted, with secrets)' : ' (no secrets)'}\n`);
      });
    });

  profiles
    .command('remove')
    .description('remove a profile and its secrets from the OS keychain')
    .argument('<name>', 'profile name')
    .option('--json', 'print JSON for scripts')
    .action(async (name: string, options: { json?: boolean }) => {
      await withStore(io, async (store) => {
        await store.remove(name);
        if (options.json) json(io, { removed: name });
        else io.stdout.write(`removed ${name}\n`);
      });
    });
}
