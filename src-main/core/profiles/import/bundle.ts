/**
 * Bundle files: several stored profiles in one JSON file. Without a passphrase a bundle never
 * holds secrets (it lists which ones were left out); with one, the profiles and their secrets are
 * encrypted with AES-256-GCM under a key derived from the passphrase with scrypt (node:crypto),
 * and the header (format, KDF parameters) is authenticated too.
 */
import { printable } from '../../../../shared/model/printable.ts';
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../../../shared/errors.ts';
import { secretKinds, type SecretKind, type StoredProfile } from '../../../../shared/model/storedProfile.ts';
import type { ProfileWithSecrets, Secrets } from '../store.ts';

/** The `format` value that marks a bundle file. */
export const bundleFormat = 'pulsar-tunnel-bundle';

/** scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s), the interactive-login setting of RFC 7914 §2 and OWASP. */
const kdfDefaults = { N: 32_768, r: 8, p: 1 } as const;

const secretsSchema = z.strictObject(Object.fromEntries(secretKinds.map((kind) => [kind, z.string().optional()])) as Record<SecretKind, z.ZodOptional<z.ZodString>>);

const plainBundleSchema = z.strictObject({
  format: z.literal(bundleFormat),
  version: z.literal(1),
  exportedAt: z.string().optional(),
  profiles: z.array(
    z.strictObject({
      profile: z.record(z.string(), z.unknown()),
      /** Secrets the profile has that were left out of this unencrypted bundle. */
      secretsOmitted: z.array(z.enum(secretKinds)).optional(),
    }),
  ),
});

const encryptionSchema = z.strictObject({
  kdf: z.literal('scrypt'),
  // Bounded so a crafted bundle cannot make the import allocate more than 128 MiB (128·N·r bytes).
  N: z.number().int().min(1024).max(131_072).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  r: z.number().int().min(1).max(8),
  p: z.number().int().min(1).max(4),
  salt: z.string().min(16),
  cipher: z.literal('aes-256-gcm'),
  iv: z.string().min(16),
  tag: z.string().min(16),
});

const encryptedBundleSchema = z.strictObject({
  format: z.literal(bundleFormat),
  version: z.literal(1),
  exportedAt: z.string().optional(),
  encryption: encryptionSchema,
  data: z.string(),
});

const innerSchema = z.strictObject({
  profiles: z.array(z.strictObject({ profile: z.record(z.string(), z.unknown()), secrets: secretsSchema })),
});

/** One profile for a bundle. */
export interface BundleEntry {
  profile: StoredProfile;
  secrets: Secrets;
}

function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem above 128·N·r bytes, which scrypt needs.
    scrypt(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: 256 * params.N * params.r }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function headerAad(header: { format: string; version: number; encryption: Omit<z.infer<typeof encryptionSchema>, 'tag'> }): Buffer {
  const { kdf, N, r, p, salt, cipher, iv } = header.encryption;
  return Buffer.from(JSON.stringify({ format: header.format, version: header.version, encryption: { kdf, N, r, p, salt, cipher, iv } }));
}

/**
 * Writes a bundle. Without `passphrase` the secrets are left out (and listed as omitted); with it
 * everything is encrypted.
 */
export async function writeBundle(entries: BundleEntry[], passphrase?: string): Promise<string> {
  const exportedAt = new Date().toISOString();
  if (passphrase === undefined) {
    const bundle = {
      format: bundleFormat,
      version: 1 as const,
      exportedAt,
      profiles: entries.map((entry) => {
        const omitted = secretKinds.filter((kind) => entry.secrets[kind] !== undefined);
        return { profile: entry.profile, ...(omitted.length > 0 ? { secretsOmitted: omitted } : {}) };
      }),
    };
    return `${JSON.stringify(bundle, null, 2)}\n`;
  }
  if (passphrase.length < 8) throw new AppError('IMPORT_INVALID', 'passphrase: must be at least 8 characters');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, kdfDefaults);
  const encryption = { kdf: 'scrypt' as const, ...kdfDefaults, salt: salt.toString('base64'), cipher: 'aes-256-gcm' as const, iv: iv.toString('base64') };
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(headerAad({ format: bundleFormat, version: 1, encryption }));
  const inner = JSON.stringify({ profiles: entries.map((entry) => ({ profile: entry.profile, secrets: entry.secrets })) });
  const data = Buffer.concat([cipher.update(inner, 'utf8'), cipher.final()]);
  const bundle = { format: bundleFormat, version: 1, exportedAt, encryption: { ...encryption, tag: cipher.getAuthTag().toString('base64') }, data: data.toString('base64') };
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

function schemaError(fileName: string, error: z.ZodError): AppError {
  const first = error.issues[0];
  const where = first ? first.path.map(String).join('.') : '';
  return new AppError('IMPORT_INVALID', `${fileName}: not a valid pulsar-tunnel bundle (${where ? `${where}: ` : ''}${first?.message ?? 'invalid'})`);
}

/** True when a bundle is encrypted (needs a passphrase). */
export function isEncryptedBundle(data: Record<string, unknown>): boolean {
  return 'encryption' in data;
}

/** Warnings for profiles a bundle marks to start with the app: imported as they are, but never silently. */
function autoStartWarnings(profiles: readonly { profile: Record<string, unknown> }[]): string[] {
  return profiles
    .filter((entry) => entry.profile.autoStart === true)
    .map((entry) => `profile "${printable(String(entry.profile.name))}": the bundle sets autoStart, so the desktop app starts this tunnel every time it launches; turn it off in the app (or edit the profile) if you did not want that.`);
}

/**
 * Reads a bundle into profiles (validated later by the store) and warnings.
 * @throws AppError IMPORT_INVALID (malformed), BUNDLE_PASSPHRASE_REQUIRED (none given), BUNDLE_PASSPHRASE_WRONG (a wrong passphrase for
 *   an encrypted bundle, or the bundle was altered).
 */
export async function readBundle(data: Record<string, unknown>, fileName: string, passphrase?: string): Promise<{ items: ProfileWithSecrets[]; warnings: string[] }> {
  if (!isEncryptedBundle(data)) {
    const parsed = plainBundleSchema.safeParse(data);
    if (!parsed.success) throw schemaError(fileName, parsed.error);
    const warnings: string[] = [];
    for (const entry of parsed.data.profiles) {
      if (entry.secretsOmitted && entry.secretsOmitted.length > 0) {
        warnings.push(`profile "${printable(String(entry.profile.name))}": the bundle holds no secrets (${entry.secretsOmitted.join(', ')} left out); enter them again or export with a passphrase.`);
      }
    }
    warnings.push(...autoStartWarnings(parsed.data.profiles));
    return { items: parsed.data.profiles.map((entry) => ({ profile: entry.profile as ProfileWithSecrets['profile'], secrets: {}, source: fileName })), warnings };
  }
  const parsed = encryptedBundleSchema.safeParse(data);
  if (!parsed.success) throw schemaError(fileName, parsed.error);
  if (passphrase === undefined || passphrase === '') throw new AppError('BUNDLE_PASSPHRASE_REQUIRED', `${fileName} is encrypted and no passphrase was given; give the passphrase it was exported with.`);
  const { encryption } = parsed.data;
  const key = await deriveKey(passphrase, Buffer.from(encryption.salt, 'base64'), encryption);
  let inner: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(encryption.iv, 'base64'));
    decipher.setAAD(headerAad(parsed.data));
    decipher.setAuthTag(Buffer.from(encryption.tag, 'base64'));
    inner = Buffer.concat([decipher.update(Buffer.from(parsed.data.data, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    // GCM cannot tell a wrong key from altered data: both fail the tag check.
    throw new AppError('BUNDLE_PASSPHRASE_WRONG', `The passphrase does not open ${fileName} (or the file was altered).`, { cause: error });
  }
  let content: unknown;
  try {
    content = JSON.parse(inner);
  } catch {
    throw new AppError('IMPORT_INVALID', `${fileName}: the decrypted content is not JSON`);
  }
  const checked = innerSchema.safeParse(content);
  if (!checked.success) throw schemaError(fileName, checked.error);
  return { items: checked.data.profiles.map((entry) => ({ profile: entry.profile as ProfileWithSecrets['profile'], secrets: entry.secrets, source: fileName })), warnings: autoStartWarnings(checked.data.profiles) };
}
