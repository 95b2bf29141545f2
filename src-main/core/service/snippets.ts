/**
 * Snippets for the UI: the ones `client-conf` prints (profiles/export.ts), for the tunnel's actual
 * addresses while it runs, or for the profile's configured ones while it is stopped.
 */
import type { Snippets } from '../../../shared/ipc/contract.ts';
import type { StoredProfile } from '../../../shared/model/storedProfile.ts';
import { snippetsFor, type LocalAddresses } from '../profiles/export.ts';

/**
 * The addresses a profile's tunnel will listen on when started, from its `listen` settings
 * (127.0.0.1 and port 6650 by default). A port of 0 is shown as is: the real one is known once running.
 */
export function configuredAddresses(profile: StoredProfile): LocalAddresses {
  const host = profile.listen.host ?? '127.0.0.1';
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const pulsar = `${shown}:${profile.listen.port ?? 6650}`;
  return profile.listen.webPort === undefined ? { pulsar } : { pulsar, http: `${shown}:${profile.listen.webPort}` };
}

/** Builds the snippets for one profile listening at `listen`. */
export function buildSnippets(profile: StoredProfile, listen: LocalAddresses): Snippets {
  const snippets = snippetsFor(listen, profile.name, { webServiceUrl: profile.webServiceUrl !== undefined });
  if (!/:0$/.test(listen.pulsar)) return snippets;
  const note = '# Port 0: the tunnel picks a free port when it starts; these settings show it once it runs.\n';
  return { ...snippets, clientConf: note + snippets.clientConf };
}
