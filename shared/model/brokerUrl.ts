/**
 * The one reading of the broker URLs a cluster sends (a lookup answer, an assigned broker in
 * CLOSE_PRODUCER/CLOSE_CONSUMER, a TOPIC_MIGRATED), used by the tunnel's routing and by the Doctor.
 *
 * The tunnel reaches brokers the way a Pulsar client with a `pulsar+ssl://` service URL does: over
 * TLS, through the SNI proxy. Such a client takes only `brokerServiceUrlTls` (Java's lookup reads
 * `useTls ? brokerUrlTls : brokerUrl`). A plain `pulsar://` URL alone means the broker advertises no
 * TLS listener, which a TLS-only proxy cannot reach; guessing a TLS port for that host would send
 * the connection somewhere the cluster never named, so it is refused with the reason instead.
 */
import { parseServiceUrl, type HostPort } from './profile.ts';

/**
 * The broker a TLS client connects to, from the URLs a cluster sent.
 * @returns the broker's host and TLS port; a sentence saying why none is usable; or undefined when
 *   neither URL is set (the answer names no broker, e.g. a failed lookup).
 */
export function tlsBrokerAddress(brokerServiceUrl: string | undefined, brokerServiceUrlTls: string | undefined): HostPort | string | undefined {
  if (brokerServiceUrlTls) {
    const parsed = parseServiceUrl(brokerServiceUrlTls, ['pulsar+ssl:']);
    return typeof parsed === 'string' ? `the broker URL for TLS clients (brokerServiceUrlTls) is not usable: ${parsed}` : parsed;
  }
  if (brokerServiceUrl) {
    return (
      `the cluster named the broker only by its plain ${brokerServiceUrl} (no brokerServiceUrlTls); the tunnel reaches brokers with TLS through the SNI proxy, ` +
      'as a Pulsar client with a pulsar+ssl:// service URL does, so the brokers must advertise pulsar+ssl:// (brokerServicePortTls, or a TLS advertisedListener)'
    );
  }
  return undefined;
}
