/**
 * A Pulsar broker trusts CONNECT's original_principal, original_auth_data and original_auth_method
 * (fields 7–9) only from a connection authenticated as one of its proxy roles. When the tunnel adds
 * the profile's credential, a local client's copies of these fields must not reach the broker beside
 * it: with a profile whose token is a proxy role, any local process could act as any role.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CommandType, encodeSimpleFrame } from '../fixtures/pulsarCluster/protocol.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

const token = 'proxy-role-token';
let harness: ClusterHarness;

beforeAll(async () => {
  harness = await startClusterHarness({ cluster: { auth: { token } } });
});

afterAll(async () => {
  await harness?.stop();
});

it('strips original_principal, original_auth_data and original_auth_method from a CONNECT it adds the token to', async () => {
  const tunnel = await harness.tunnel({ auth: { kind: 'token', getToken: async () => token } });
  const client = await harness.client(tunnel);
  const before = harness.cluster.stats().flatMap((broker) => broker.connects).length;
  client.writeRaw(
    encodeSimpleFrame({
      type: CommandType.CONNECT,
      connect: { client_version: 'impersonator', protocol_version: 21, original_principal: 'superuser', original_auth_data: 'forged', original_auth_method: 'token' },
    }),
  );
  const answer = await client.waitFor((frame) => frame.command.type === CommandType.CONNECTED || frame.command.type === CommandType.ERROR, 'the answer to CONNECT');
  expect(answer.command.type).toBe(CommandType.CONNECTED);
  const connects = harness.cluster.stats().flatMap((broker) => broker.connects).slice(before);
  expect(connects).toEqual([expect.objectContaining({ authMethodName: 'token', authData: token, originalFieldsPresent: false, accepted: true })]);
});
