/**
 * Code snippets that point local tools at a profile's tunnel. Local clients speak plain
 * `pulsar://` to the tunnel, which adds TLS and the profile's credentials, so no snippet carries
 * a secret or TLS settings.
 */
import type { Snippets } from '../../../shared/ipc/contract.ts';
import type { StoredProfile } from '../../../shared/model/storedProfile.ts';

/** Where a tunnel listens, host:port each ([v6]:port for IPv6). */
export interface ListenAddresses {
  pulsar: string;
  http?: string;
}

/**
 * The addresses a profile's tunnel will listen on when started, from its `listen` settings
 * (127.0.0.1 and port 6650 by default). A port of 0 is shown as is: the real one is known once running.
 */
export function configuredAddresses(profile: StoredProfile): ListenAddresses {
  const host = profile.listen.host ?? '127.0.0.1';
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const pulsar = `${shown}:${profile.listen.port ?? 6650}`;
  return profile.listen.webPort === undefined ? { pulsar } : { pulsar, http: `${shown}:${profile.listen.webPort}` };
}

/** Builds the snippets for one profile listening at `listen`. */
export function buildSnippets(profile: StoredProfile, listen: ListenAddresses): Snippets {
  const serviceUrl = `pulsar://${listen.pulsar}`;
  const webUrl = listen.http ? `http://${listen.http}` : undefined;
  const clientConf = [
    `# Pulsar client.conf for the pulsar-tunnel profile "${profile.name}".`,
    '# The tunnel adds TLS and the credentials, so no auth or TLS settings are needed here.',
    ...(/:0$/.test(listen.pulsar) ? ['# Port 0: the tunnel picks a free port when it starts; these settings show it once it runs.'] : []),
    `brokerServiceUrl=${serviceUrl}`,
    webUrl ? `webServiceUrl=${webUrl}` : '# webServiceUrl: set listen.webPort in the profile to reach the admin API through the tunnel',
    '',
  ].join('\n');
  return {
    clientConf,
    serviceUrl,
    java: `PulsarClient client = PulsarClient.builder()\n    .serviceUrl("${serviceUrl}")\n    .build();`,
    python: `import pulsar\n\nclient = pulsar.Client('${serviceUrl}')`,
    node: `const Pulsar = require('pulsar-client');\n\nconst client = new Pulsar.Client({ serviceUrl: '${serviceUrl}' });`,
    pulsarClient: `pulsar-client --url ${serviceUrl} produce persistent://public/default/test -m hello`,
    pulsarPerf: `pulsar-perf produce --service-url ${serviceUrl} persistent://public/default/test`,
  };
}
