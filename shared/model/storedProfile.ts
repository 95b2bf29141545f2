/**
 * A profile as the app keeps it in its store and as the UI edits it. Unlike the profile file, it
 * holds certificates inline (PEM, they are public) and never a secret: the token and the client
 * private key live in the OS keychain, and the profile only says whether they are there.
 */
import { z } from 'zod';
import { clusterFields, isLoopbackHost, listenSchema, loopbackAddresses, wholeNumber } from './profile.ts';

const pem = (label: string) =>
  z.string().refine((value) => value.includes(`-----BEGIN ${label}`), { message: `must be a PEM ${label.toLowerCase()}` });

/** How the tunnel authenticates to the brokers on behalf of local tools. */
export const authKinds = ['none', 'token', 'tls'] as const;
export type AuthKind = (typeof authKinds)[number];

export const storedProfileSchema = z
  .strictObject({
    ...clusterFields,
    /** CA certificates (PEM) that sign the brokers' certificates; absent: the system CAs. */
    tlsTrustCertsPem: pem('CERTIFICATE').optional(),
    /** Client certificate chain (PEM); its private key is in the keychain. */
    tlsCertificatePem: pem('CERTIFICATE').optional(),
    tlsHostnameVerificationEnable: z.boolean().default(true),
    tlsAllowInsecureConnection: z.boolean().default(false),
    auth: z.enum(authKinds).default('none'),
    listen: listenSchema.default({}),
    pulsarProtocol: z.enum(['inspect', 'raw']).default('inspect'),
    keepAliveIntervalSeconds: wholeNumber(0, 3600).default(20),
    connectionTimeoutMs: wholeNumber(100, 600_000).default(10_000),
    /** Start this profile's tunnel when the desktop app launches. */
    autoStart: z.boolean().default(false),
  })
  .superRefine((profile, ctx) => {
    const host = profile.listen.host;
    if (host !== undefined && !isLoopbackHost(host) && profile.listen.allowNonLoopback !== true) {
      ctx.addIssue({ code: 'custom', path: ['listen', 'host'], message: `"${host}" is not a loopback address (those are ${loopbackAddresses}); set listen.allowNonLoopback to true only if other machines may use this tunnel` });
    }
    if (profile.auth === 'tls' && profile.tlsCertificatePem === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tlsCertificatePem'], message: 'is required when auth is "tls" (the client certificate is the credential)' });
    }
    if (profile.listen.webPort !== undefined && profile.webServiceUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['webServiceUrl'], message: 'is required when listen.webPort is set' });
    }
  });

/** A stored profile (no secrets). */
export type StoredProfile = z.infer<typeof storedProfileSchema>;
/** What a form submits: defaults may be left out. */
export type StoredProfileInput = z.input<typeof storedProfileSchema>;

/** The secrets a profile may have in the keychain. */
export const secretKinds = ['token', 'clientKey', 'keyPassphrase'] as const;
export type SecretKind = (typeof secretKinds)[number];
