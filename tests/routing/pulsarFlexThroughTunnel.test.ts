/**
 * The real pulsar-flex client, configured with nothing but `localhost:<port>`, produces and consumes
 * on topics owned by each of three brokers behind a real SNI router, through the tunnel only. The
 * brokers require a token that only the tunnel holds, and a broker-initiated move of a producer to
 * another broker is followed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startPulsarCluster, type PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { startSniRouter, type SniRouter, type SniRouterKind } from '../fixtures/sniRouters.ts';
import { flex, type FlexConsumer, type FlexProducer } from './flex.ts';

const brokerHosts = ['broker1.test', 'broker2.test', 'broker3.test'];
const token = 'only-the-tunnel-knows-this-token';
const kinds: SniRouterKind[] = ['ats', 'haproxy'];

describe.each(kinds)('pulsar-flex through the tunnel and %s', (kind) => {
  let pki: TestPki;
  let cluster: PulsarTestCluster;
  let router: SniRouter;
  let dir: string;
  let cli: CliProcess;
  let main: string;

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: [...brokerHosts, 'pulsar.test'] });
    cluster = await startPulsarCluster({ brokers: brokerHosts, serviceHost: 'pulsar.test', pki, auth: { token }, rejectProxyFields: true });
    router = await startSniRouter(kind, { routes: cluster.sniRoutes() });
    dir = await mkdtemp(path.join(tmpdir(), 'pt-flex-'));
    await writeFile(path.join(dir, 'ca.pem'), pki.ca.certPem);
    await writeFile(path.join(dir, 'token.txt'), `${token}\n`);
    await writeFile(
      path.join(dir, 'profile.json'),
      JSON.stringify({
        name: `flex-${kind}`,
        serviceUrl: 'pulsar+ssl://pulsar.test:6651',
        proxyServiceUrl: `pulsar+ssl://${router.address}`,
        proxyProtocol: 'SNI',
        tlsTrustCertsFilePath: 'ca.pem',
        authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
        authParams: 'file://token.txt',
        listen: { port: 0 },
      }),
    );
    cli = startCli(['run', path.join(dir, 'profile.json'), '--log-format', 'json']);
    main = (await cli.waitForEvent((event) => event.event === 'ready')).listen.pulsar;
  });

  afterAll(async () => {
    await cli?.stop().catch(() => undefined);
    await router?.stop();
    await cluster?.stop();
    await pki?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('produces and consumes on every broker\'s topics with the token injected, and follows a moved producer', async () => {
    const producers: FlexProducer[] = [];
    const consumers: FlexConsumer[] = [];
    const quiet = { logLevel: 0 };
    try {
      for (const host of brokerHosts) {
        const topic = cluster.topicOwnedBy(host, `tunnel-${kind}-${host}`);
        const got: string[] = [];
        // No jwt, no TLS: the local tool knows only the tunnel's address.
        const consumer = new flex.Consumer({ topic, subscription: 'sub', subType: 1, consumerName: `c-${host}`, discoveryServers: [main], receiveQueueSize: 10, ...quiet });
        consumers.push(consumer);
        await consumer.subscribe();
        await consumer.run({ onMessage: async ({ message }) => void got.push(message.toString()) });
        const producer = new flex.Producer({ topic, discoveryServers: [main], producerAccessMode: 0, ...quiet });
        producers.push(producer);
        await producer.create();
        await producer.sendMessage({ payload: `to ${host}` });
        await eventually(() => got.length === 1 || undefined, { timeoutMs: 8000, what: `the message on ${host}` });
        expect(got).toEqual([`to ${host}`]);
        expect(cluster.messages(topic).map((message) => message.storedBy)).toEqual([host]);

        if (host === 'broker1.test') {
          expect(await cluster.moveProducer(topic, 'broker3.test')).toEqual({ producersClosed: 1, consumersClosed: 1 });
          await eventually(() => cluster.brokerStats('broker3.test').producers.some((record) => record.topic === topic && record.accepted) || undefined, {
            timeoutMs: 10_000,
            what: 'the producer to reopen on broker3',
          });
          await producer.sendMessage({ payload: 'after the move' });
          await eventually(() => got.length === 2 || undefined, { timeoutMs: 10_000, what: 'the message after the move' });
          expect(cluster.messages(topic).map((message) => message.storedBy)).toEqual(['broker1.test', 'broker3.test']);
        }
      }
    } finally {
      await Promise.all(producers.map((producer) => producer.close().catch(() => undefined)));
      await Promise.all(consumers.map((consumer) => consumer.unsubscribe().catch(() => undefined)));
    }

    // Every broker saw the right SNI and the injected token, and never a proxy-only field.
    for (const host of brokerHosts) {
      const connects = cluster.brokerStats(host).connects;
      expect(connects.length).toBeGreaterThan(0);
      for (const connect of connects) {
        expect(connect).toMatchObject({ servername: host, authMethodName: 'token', authData: token, proxyToBrokerUrlPresent: false, originalFieldsPresent: false, accepted: true });
      }
    }
    // The log shows each lookup with the broker and its local port, and the injected auth.
    const lookups = cli.events.filter((event) => event.event === 'pulsar.lookup' && event.response === 'Connect');
    expect(new Set(lookups.map((event) => event.broker))).toEqual(new Set(brokerHosts.map((host) => `${host}:6651`)));
    for (const lookup of lookups) expect(lookup.local).toMatch(/^127\.0\.0\.1:\d+$/);
    const brokerPorts = cli.events.filter((event) => event.event === 'pulsar.brokerPort');
    expect(brokerPorts.map((event) => event.sni).sort()).toEqual([...brokerHosts].sort());
    const connectsLogged = cli.events.filter((event) => event.event === 'pulsar.connect');
    expect(connectsLogged.every((event) => event.authInjected === true && event.authMethod === 'token')).toBe(true);
    expect(cli.events.some((event) => event.event === 'pulsar.moved' && event.broker === 'broker3.test:6651')).toBe(true);
    // The token never appears in the log.
    expect(cli.stdout()).not.toContain(token);
    expect(cli.stderr()).not.toContain(token);
  }, 60_000);
});
