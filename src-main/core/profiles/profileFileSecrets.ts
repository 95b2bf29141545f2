/**
 * The secrets a profile FILE names on this computer, as `run` and the Doctor load it: an environment
 * variable (`authParams: env:X`), a token file, a client key file. A profile file can come from
 * anyone, and whatever it names is sent to the server it names, so (as `profiles import` does):
 * - a variable, or a file outside the profile's own folder (links followed), is read only with the
 *   user's consent (`--read-secrets`); without it the load fails with PROFILE_SECRETS_NOT_CONFIRMED
 *   and the list, before anything is read;
 * - every read from this computer (also a file beside the profile) is announced first, with where
 *   the credential goes (the broker, the proxy, the SNI).
 * A token written in the file itself is not read from this computer and needs neither.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import type { SecretSource } from '../../../shared/ipc/contract.ts';
import { credentialDestination } from '../../../shared/model/endpoints.ts';
import { printable } from '../../../shared/model/printable.ts';
import { authPlugins, type HostPort, type ProfileFile } from '../../../shared/model/profile.ts';
import { resolveReferencedPath, tokenFilePath, tokenSpec, type ReferenceContext } from './references.ts';

/** What loading a profile file may read, and who hears of it. */
export interface ProfileFileOptions {
  /** The user agreed (`--read-secrets`) to read what the file names in variables and in files outside its folder. */
  readSecrets?: boolean;
  /** Told before each secret is read from this computer, with where it will be sent. */
  onSecretRead?: (notice: SecretReadNotice) => void;
  /** The environment `env:` reads (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** One secret about to be read from this computer. */
export interface SecretReadNotice {
  source: SecretSource & { sentTo: string };
  /** True when it needed the consent: a variable, or a file outside the profile's folder. */
  needsConsent: boolean;
  /** One sentence: what is read, from where, and where it goes. */
  message: string;
}

async function realFile(file: string): Promise<string> {
  return realpath(file).catch(() => file); // missing: the read says so
}

function inside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** A source in words: "token from environment variable X (named by authParams), to be sent to ...". */
export function describeSecretSource(source: SecretSource): string {
  const what = source.secret === 'token' ? 'token' : 'client private key';
  const from = source.from === 'env' ? `environment variable ${source.name}` : `file ${source.linkedFrom === undefined ? source.name : `${source.linkedFrom} → ${source.name}`}`;
  const use = source.secret === 'token' ? 'to be sent to' : 'to authenticate to';
  return `${what} from ${from} (named by ${source.field})${source.sentTo === undefined ? '' : `, ${use} ${source.sentTo}`}`;
}

/** The secrets `profile` names on this computer, each with whether it needs the consent. */
async function secretSources(profile: ProfileFile, baseDir: string, sentTo: string, env: NodeJS.ProcessEnv | undefined): Promise<{ source: SecretSource & { sentTo: string }; needsConsent: boolean }[]> {
  const context: ReferenceContext = { baseDir, env, invalidCode: 'PROFILE_INVALID', unreadableCode: 'PROFILE_SECRET_UNAVAILABLE' };
  const folder = await realFile(baseDir);
  const files: { secret: SecretSource['secret']; field: string; file: string }[] = [];
  const found: { source: SecretSource & { sentTo: string }; needsConsent: boolean }[] = [];
  if (profile.authPlugin === authPlugins.token && profile.authParams !== undefined) {
    const spec = tokenSpec(profile.authParams, context, 'authParams');
    if (spec.kind === 'env') found.push({ source: { secret: 'token', from: 'env', name: spec.variable, field: 'authParams', sentTo }, needsConsent: true });
    if (spec.kind === 'file') files.push({ secret: 'token', field: 'authParams', file: tokenFilePath(spec, context, 'authParams') });
  }
  if (profile.tlsKeyFilePath !== undefined) files.push({ secret: 'clientKey', field: 'tlsKeyFilePath', file: resolveReferencedPath(profile.tlsKeyFilePath, context, 'tlsKeyFilePath') });
  for (const { secret, field, file } of files) {
    const real = await realFile(file);
    const source: SecretSource & { sentTo: string } = { secret, from: 'file', name: real, field, sentTo, ...(real === file ? {} : { linkedFrom: file }) };
    found.push({ source, needsConsent: !inside(folder, real) });
  }
  return found;
}

/**
 * Refuses a profile file naming secrets that need the consent when it was not given, or announces
 * each read (through `options.onSecretRead`) before it happens.
 * @throws AppError PROFILE_SECRETS_NOT_CONFIRMED listing the secrets and where they would go; PROFILE_INVALID for a malformed reference.
 */
export async function checkSecretReads(profile: ProfileFile, baseDir: string, target: { service: HostPort; proxy?: HostPort }, options: ProfileFileOptions): Promise<void> {
  const sentTo = credentialDestination(target.service, target.proxy);
  const sources = await secretSources(profile, baseDir, sentTo, options.env);
  const unconfirmed = sources.filter((source) => source.needsConsent);
  if (unconfirmed.length > 0 && options.readSecrets !== true) {
    throw new AppError(
      'PROFILE_SECRETS_NOT_CONFIRMED',
      `The profile names secrets to read from this computer (an environment variable, or a file outside the profile's folder ${printable(baseDir)}):\n` +
        `${unconfirmed.map(({ source }) => `  - ${printable(describeSecretSource(source))}`).join('\n')}\n` +
        'Nothing was read or sent. If you trust this file with them, run again with --read-secrets; or import it once (pulsar-tunnel profiles import <file> --read-secrets) and run the stored profile (--profile NAME).',
    );
  }
  for (const { source, needsConsent } of sources) {
    options.onSecretRead?.({ source, needsConsent, message: `reading the ${describeSecretSource(source)}` });
  }
}
