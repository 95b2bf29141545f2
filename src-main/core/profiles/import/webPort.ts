/**
 * A client.conf or cluster metadata names the cluster's web service (webServiceUrl), but the tunnel
 * serves it locally only on a web port (listen.webPort), which those formats cannot say. Without
 * one, `client-conf` would print no webServiceUrl and pulsar-admin could not use the tunnel, with no
 * word why. So an imported profile with a webServiceUrl gets a web port: 8080 (the brokers' usual
 * admin port, as 6650 is the usual Pulsar port), or the next port no other profile uses, and the
 * import says which.
 */
import type { StoredProfile } from '../../../../shared/model/storedProfile.ts';
import type { ProfileWithSecrets } from '../storeInput.ts';
import { sameName } from '../validate.ts';
import type { ImportKind } from './index.ts';

/** The first web port tried for an imported profile. */
export const defaultImportedWebPort = 8080;

/**
 * `items` with a web port for each foreign-format profile that has a webServiceUrl and none, and a
 * warning per port given. Ports other profiles listen on (`stored`, those being replaced aside) and
 * ports given to earlier items are skipped. Our own profile files and bundles are left as written:
 * there a missing web port is the user's choice.
 */
export function giveWebPorts(items: ProfileWithSecrets[], kind: ImportKind, stored: readonly StoredProfile[]): { items: ProfileWithSecrets[]; warnings: string[] } {
  if (kind !== 'client-conf' && kind !== 'cluster-metadata') return { items, warnings: [] };
  const names = items.map((item) => String(item.profile.name));
  const used = new Set<number>();
  for (const profile of stored) {
    if (names.some((name) => sameName(name, profile.name))) continue;
    if (profile.listen.webPort !== undefined) used.add(profile.listen.webPort);
    used.add(profile.listen.port ?? 6650);
  }
  for (const item of items) {
    if (item.profile.listen?.webPort !== undefined) used.add(item.profile.listen.webPort);
    used.add(item.profile.listen?.port ?? 6650);
  }
  const warnings: string[] = [];
  const given = items.map((item) => {
    if (item.profile.webServiceUrl === undefined || item.profile.listen?.webPort !== undefined) return item;
    let port = defaultImportedWebPort;
    while (used.has(port)) port++;
    used.add(port);
    const host = item.profile.listen?.host ?? '127.0.0.1';
    warnings.push(
      `profile "${String(item.profile.name)}": its webServiceUrl is served through the tunnel on ${host}:${port} (listen.webPort ${port}${port === defaultImportedWebPort ? '' : `, the first port from ${defaultImportedWebPort} no other profile uses`}), so client-conf and pulsar-admin can reach the admin API; change listen.webPort if another program uses that port.`,
    );
    return { ...item, profile: { ...item.profile, listen: { ...item.profile.listen, webPort: port } } };
  });
  return { items: given, warnings };
}
