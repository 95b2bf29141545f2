/**
 * Drives a PulsarSession in process, without sockets: the client's bytes go through `begin` (a
 * stream standing in for the local socket) and `up`, the broker's through `down`; frames are built
 * and read back with the test-side protobuf schema, not the engine's codec.
 */
import { PassThrough } from 'node:stream';
import type net from 'node:net';
import type tls from 'node:tls';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { BrokerRegistry } from '../../../../src-main/core/routing/brokerRegistry.ts';
import { PulsarSession } from '../../../../src-main/core/routing/pulsarSession.ts';
import type { AuthConfig, TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';
import type { DialTarget } from '../../../../shared/model/endpoints.ts';
import { decodeFrame, encodeSimpleFrame, type BaseCommandObject } from '../../../fixtures/pulsarCluster/protocol.ts';

export interface SessionOptions {
  auth?: AuthConfig;
  boundTo?: DialTarget;
  keepAliveIntervalSeconds?: number;
  connectionTimeoutMs?: number;
  /** Opens a broker's "listener"; by default a fake one on a port derived from the host and port. */
  openListener?: (target: DialTarget) => Promise<net.Server>;
}

/** A listener stand-in whose address is 127.0.0.1 and a port that depends only on the broker. */
export function fakeListener(target: DialTarget): net.Server {
  const port = 20000 + ([...target.host].reduce((sum, char) => sum + char.charCodeAt(0), 0) % 1000) * 10 + (target.port % 10);
  return { address: () => ({ address: '127.0.0.1', family: 'IPv4', port }) } as unknown as net.Server;
}

export function createSession(options: SessionOptions = {}) {
  const events: TunnelEvent[] = [];
  const config = {
    name: 'prod',
    service: { host: 'svc.test', port: 6651 },
    auth: options.auth ?? { kind: 'none' },
    keepAliveIntervalSeconds: options.keepAliveIntervalSeconds ?? 0,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 5000,
    listen: { host: '127.0.0.1', port: 6650 },
  } as unknown as TunnelConfig;
  const registry = new BrokerRegistry({ openListener: options.openListener ?? (async (target) => fakeListener(target)) });
  const counters = { bytesUp: 0, bytesDown: 0 };
  const session = new PulsarSession({ id: 7, config, registry, counters, emit: (event) => events.push(event), ...(options.boundTo ? { boundTo: options.boundTo } : {}) });
  /** What the session wrote to the broker on its own (after attach). */
  const toBroker: Buffer[] = [];
  const local = new PassThrough();
  const remote = { destroyed: false, write: (bytes: Buffer) => toBroker.push(Buffer.from(bytes)) };
  return {
    session,
    events,
    registry,
    counters,
    toBroker,
    remote,
    /** Feeds the client's first bytes through `begin`, as the local socket would deliver them. */
    async begin(...chunks: Buffer[]) {
      for (const chunk of chunks) local.write(chunk);
      return session.begin(local as unknown as net.Socket, new AbortController().signal);
    },
    /** The stream standing in for the local socket. */
    local,
    attach() {
      session.attach(remote as unknown as tls.TLSSocket);
    },
    /** Client → broker: the bytes forwarded for `bytes`. */
    up(bytes: Buffer): Buffer {
      const out: Buffer[] = [];
      session.up.push(bytes, (piece) => out.push(Buffer.from(piece)));
      return Buffer.concat(out);
    },
    /** Broker → client: the bytes forwarded for `bytes`, once nothing is held back any more. */
    async down(bytes: Buffer): Promise<Buffer> {
      const out: Buffer[] = [];
      session.down.push(bytes, (piece) => out.push(Buffer.from(piece)));
      await session.down.pending?.();
      return Buffer.concat(out);
    },
  };
}

/** Frames a command built with the test-side schema. */
export const frameOf = encodeSimpleFrame;

/** The commands of a stream of whole frames, decoded with the test-side schema. */
export function commandsOf(stream: Buffer): BaseCommandObject[] {
  const commands: BaseCommandObject[] = [];
  for (let at = 0; at < stream.length; ) {
    const end = at + 4 + stream.readUInt32BE(at);
    commands.push(decodeFrame(stream.subarray(at, end)).command);
    at = end;
  }
  return commands;
}

/** The one command of a stream that must hold exactly one frame. */
export function onlyCommand(stream: Buffer): BaseCommandObject {
  const commands = commandsOf(stream);
  if (commands.length !== 1) throw new Error(`expected one frame, got ${commands.length}`);
  return commands[0]!;
}

/** The current callbacks' promises: lets `.then` handlers of settled promises run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
