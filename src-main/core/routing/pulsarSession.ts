/**
 * Protocol awareness for one connection: reads Pulsar frames in both directions for the
 * connection's whole life and changes only the few that must change.
 *
 * Client → broker: the CONNECT picks the broker (proxy_to_broker_url, which a broker would not
 * understand, is used and stripped) and gets the profile's credential when the client sent none.
 * Broker → client: every broker URL a client would follow (LOOKUP_RESPONSE, CLOSE_PRODUCER /
 * CLOSE_CONSUMER assigned URLs, TOPIC_MIGRATED) is replaced by that broker's local port, and
 * proxy_through_service_url is set so proxy-aware clients come back through the main port.
 *
 * Token refresh: when the tunnel injected the token it also sets supports_auth_refresh, drops the
 * broker's AUTH_CHALLENGE and answers it itself with the current token (read again from its source,
 * so a rotated token file is picked up). Clearing the flag instead would make the broker close the
 * connection when the token expires, which is what this tool exists to spare its users.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import { tlsBrokerAddress } from '../../../shared/model/brokerUrl.ts';
import {
  CONNECT_REQUEST_ID,
  CommandType,
  encodeError,
  ServerError,
  encodeAuthResponse,
  encodePing,
  failLookupResponse,
  frame as frameCommand,
  readAuthChallenge,
  readCloseProducerOrConsumer,
  readConnect,
  readConnected,
  readLookup,
  readLookupResponse,
  readProducer,
  readSubscribe,
  readTopicMigrated,
  rewriteCloseProducerOrConsumer,
  rewriteConnect,
  rewriteLookupResponse,
  rewriteTopicMigrated,
  LookupResponseType,
  type ConnectRewrite,
} from '../pulsar/commands.ts';
import { DEFAULT_MAX_FRAME_SIZE, FrameReader, type FrameDecision, type FrameHeader } from '../pulsar/frameReader.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import type { ConnectionSession } from '../transport/connections.ts';
import type { ByteCounters, StreamTransform } from '../transport/join.ts';
import { ensureOrNull, type BrokerEntry, type BrokerRegistry } from './brokerRegistry.ts';
import { OrderedOutput } from './orderedOutput.ts';

/** Pulsar's frame limit is max_message_size plus this much for the command and metadata. */
const FRAME_PADDING = 10_240;
/** Lookups remembered per connection while their answers are outstanding. */
const MAX_OUTSTANDING_LOOKUPS = 10_000;

export interface PulsarSessionOptions {
  id: number;
  config: TunnelConfig;
  registry: BrokerRegistry;
  /** The broker this listener stands for; undefined on the main port. */
  boundTo?: DialTarget;
  counters: ByteCounters;
  emit: (event: TunnelEvent) => void;
}

const responseNames: Record<number, 'Connect' | 'Redirect' | 'Failed'> = {
  [LookupResponseType.Connect]: 'Connect',
  [LookupResponseType.Redirect]: 'Redirect',
  [LookupResponseType.Failed]: 'Failed',
};

/** Why a broker's local port could not be opened, as an AppError (the listener's own, or TUNNEL_LISTEN_FAILED). */
function listenerFailure(failure: unknown): AppError {
  if (isAppError(failure)) return failure;
  return new AppError('TUNNEL_LISTEN_FAILED', `The local port for a broker could not be opened: ${(failure as Error | undefined)?.message ?? String(failure)}.`, { cause: failure });
}

/** At most this many characters of what a foreign client sent are quoted in the error. */
const quotedBytes = 24;

/**
 * Starts of streams that are not Pulsar, to explain instead of failing on a silly frame size: a
 * TLS ClientHello, or a first frame size no Pulsar client sends (a CONNECT is a few hundred bytes,
 * and four printable ASCII characters, as in an HTTP request line, read as hundreds of megabytes).
 */
function foreignProtocol(chunk: Buffer, webPort: number | undefined): AppError | undefined {
  if (chunk[0] === 0x16 && chunk[1] === 0x03) return new AppError('PULSAR_LOCAL_TLS');
  if (chunk.length < 4 || chunk.readUInt32BE(0) <= DEFAULT_MAX_FRAME_SIZE) return undefined;
  const text = chunk.subarray(0, quotedBytes).toString('latin1');
  const quoted = JSON.stringify(text.replace(/[^\x20-\x7e]/g, '.') + (chunk.length > quotedBytes ? '…' : ''));
  const web = webPort ? `the web port ${webPort}` : 'the web port (listen.webPort)';
  return new AppError('PULSAR_NOT_PULSAR', `This does not look like a Pulsar client (it sent ${quoted}); point a Pulsar client at this port, and HTTP (the admin API) at ${web}.`);
}

/** Client commands before CONNECTED (a CONNECT is a few hundred bytes; room for large auth data). */
export const MAX_COMMAND_BEFORE_SESSION = 64 * 1024;

export class PulsarSession implements ConnectionSession {
  readonly #options: PulsarSessionOptions;
  readonly #upReader: FrameReader;
  readonly #downReader: FrameReader;
  readonly #downOutput = new OrderedOutput();
  readonly #lookups = new Map<string, string>();
  #target: DialTarget | undefined;
  #remote: tls.TLSSocket | undefined;
  #connectDone = false;
  /** The client's first frame was a CONNECT (so it expects CONNECTED or ERROR back). */
  #sawConnect = false;
  #injectedToken = false;
  #clientVersion = 'pulsar-tunnel';
  #protocolVersion = 0;
  #ownPings = 0;
  #keepAlive: NodeJS.Timeout | undefined;
  #token: string | undefined;

  constructor(options: PulsarSessionOptions) {
    this.#options = options;
    // Else any local process could make the tunnel buffer a 5 MB "command" per connection. Lifted
    // on CONNECTED: a PRODUCER's schema, and broker answers (GetTopicsOfNamespaceResponse,
    // GetSchemaResponse), can legitimately be megabytes.
    this.#upReader = new FrameReader({ onFrame: (frame) => this.#clientFrame(frame), maxCommandSize: MAX_COMMAND_BEFORE_SESSION });
    this.#downReader = new FrameReader({ onFrame: (frame) => this.#brokerFrame(frame) });
  }

  /** Client → broker. */
  readonly up: StreamTransform = {
    push: (chunk, emit) => this.#upReader.push(chunk, emit),
  };

  /** Broker → client. */
  readonly down: StreamTransform = {
    push: (chunk, emit) => {
      this.#downOutput.bind(emit);
      this.#downReader.push(
        chunk,
        (out) => this.#downOutput.emit(out),
        (later) => this.#downOutput.defer(later),
      );
    },
    pending: () => this.#downOutput.pending(),
  };

  /**
   * Reads the client's first frame (its CONNECT), decides which broker this connection is for and
   * rewrites the CONNECT. Resolves with the broker to dial and the bytes to send it first.
   * @throws AppError PULSAR_NO_CONNECT, PULSAR_LOCAL_TLS, PULSAR_NOT_PULSAR, PULSAR_UNKNOWN_BROKER, PULSAR_FRAME_*
   */
  async begin(local: net.Socket, signal: AbortSignal): Promise<{ target: DialTarget; preamble: Buffer }> {
    const { auth } = this.#options.config;
    if (auth.kind === 'token') this.#token = await auth.getToken();
    const parts: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      let first = true;
      const cleanup = () => {
        clearTimeout(timer);
        local.removeListener('data', onData);
        local.removeListener('end', onEnd);
        signal.removeEventListener('abort', onAbort);
        local.pause();
      };
      const fail = (error: unknown) => {
        cleanup();
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        this.#options.counters.bytesUp += chunk.length;
        if (first) {
          first = false;
          const foreign = foreignProtocol(chunk, this.#options.config.listen.webPort);
          if (foreign) return fail(foreign);
        }
        try {
          this.up.push(chunk, (out) => parts.push(out));
        } catch (error) {
          return fail(error);
        }
        if (this.#connectDone) {
          cleanup();
          resolve();
        }
      };
      const onEnd = () => fail(new AppError('PULSAR_NO_CONNECT', 'The local client closed the connection before sending a Pulsar CONNECT.'));
      const onAbort = () => fail(new AppError('PULSAR_NO_CONNECT', 'The connection ended before the client sent a Pulsar CONNECT.'));
      const timer = setTimeout(
        () => fail(new AppError('PULSAR_NO_CONNECT', `The local client sent no Pulsar CONNECT within ${this.#options.config.connectionTimeoutMs} ms; is it a Pulsar client pointed at the right port?`)),
        this.#options.config.connectionTimeoutMs,
      );
      local.on('data', onData);
      local.once('end', onEnd);
      signal.addEventListener('abort', onAbort, { once: true });
      local.resume();
    });
    return { target: this.#target!, preamble: Buffer.concat(parts) };
  }

  /** The TLS connection to the broker is up: start keep-alives. */
  attach(remote: tls.TLSSocket): void {
    this.#remote = remote;
    const seconds = this.#options.config.keepAliveIntervalSeconds;
    if (seconds > 0) {
      const { counters } = this.#options;
      const intervalMs = seconds * 1000;
      let seen = counters.bytesUp + counters.bytesDown;
      let quietSince = Date.now();
      // An idle tunnel is closed by ATS after 30 s (no activity either way), racing Pulsar's own
      // 30 s keepalive; a PING of our own after each interval of silence keeps it open. Checked
      // four times per interval so the PING goes out close to the interval, not up to twice it.
      this.#keepAlive = setInterval(() => {
        const activity = counters.bytesUp + counters.bytesDown;
        const now = Date.now();
        if (activity !== seen) {
          seen = activity;
          quietSince = now;
        } else if (now - quietSince >= intervalMs) {
          quietSince = now;
          this.#ownPings++;
          this.#injectUp(frameCommand(encodePing()));
        }
      }, Math.max(50, intervalMs / 4));
      this.#keepAlive.unref();
    }
  }

  /**
   * The ERROR frame that tells the local client why its CONNECT cannot be served (the tunnel could
   * not reach the broker, or refused the request), so the client's own log shows the tunnel's
   * explanation; undefined when the client sent no CONNECT. ServiceNotReady makes clients retry,
   * as they would for a broker that is not ready; a rejected client certificate is an
   * AuthenticationError, which they do not retry.
   */
  connectFailure(error: AppError): Buffer | undefined {
    // A command over the cap is refused before it is read: it may well be the CONNECT.
    const oversized = error.code === 'PULSAR_COMMAND_TOO_LARGE';
    if (!this.#sawConnect && !oversized) return undefined;
    const kind = error.code === 'TUNNEL_TLS_CLIENT_CERT_REJECTED' ? ServerError.AuthenticationError : oversized ? ServerError.UnknownError : ServerError.ServiceNotReady;
    return frameCommand(encodeError({ requestId: CONNECT_REQUEST_ID, error: kind, message: `pulsar-tunnel ${error.code}: ${error.message}` }));
  }

  dispose(): void {
    clearInterval(this.#keepAlive);
    this.#remote = undefined;
  }

  /**
   * Sends a frame of our own to the broker at a frame boundary of the client's stream: at once
   * between two frames, else right after the frame in progress, however the client's reads fall.
   */
  #injectUp(out: Buffer): void {
    if (!this.#remote || this.#remote.destroyed) return;
    if (this.#upReader.idle) this.#remote.write(out);
    else this.#upReader.insert(out);
  }

  #clientFrame(frame: FrameHeader): FrameDecision {
    if (!this.#connectDone) return this.#firstFrame(frame);
    switch (frame.type) {
      case CommandType.LOOKUP: {
        const lookup = readLookup(frame.command);
        if (this.#lookups.size < MAX_OUTSTANDING_LOOKUPS) this.#lookups.set(String(lookup.requestId), lookup.topic);
        return undefined;
      }
      case CommandType.PRODUCER: {
        const producer = readProducer(frame.command);
        this.#options.emit({ event: 'pulsar.producer', id: this.#options.id, topic: producer.topic });
        return undefined;
      }
      case CommandType.SUBSCRIBE: {
        const subscribe = readSubscribe(frame.command);
        this.#options.emit({ event: 'pulsar.consumer', id: this.#options.id, topic: subscribe.topic, subscription: subscribe.subscription });
        return undefined;
      }
      default:
        return undefined;
    }
  }

  #firstFrame(frame: FrameHeader): FrameDecision {
    this.#connectDone = true;
    const { config, boundTo, registry, id } = this.#options;
    if (frame.type !== CommandType.CONNECT) {
      this.#target = boundTo ?? config.service;
      return undefined;
    }
    const connect = readConnect(frame.command);
    this.#sawConnect = true;
    this.#clientVersion = connect.clientVersion;
    this.#protocolVersion = connect.protocolVersion;
    this.#target = connect.proxyToBrokerUrl ? registry.resolveProxyTarget(connect.proxyToBrokerUrl).target : (boundTo ?? config.service);
    const rewrite: ConnectRewrite = {};
    if (connect.proxyToBrokerUrl !== undefined) rewrite.stripProxyToBrokerUrl = true;
    const clientHasCredential = connect.hasAuthData || (connect.authMethodName !== undefined && connect.authMethodName !== 'none' && connect.authMethodName !== '');
    let authMethod = connect.authMethodName || 'none';
    if (!clientHasCredential && config.auth.kind === 'token' && this.#token) {
      rewrite.injectAuth = { methodName: 'token', data: Buffer.from(this.#token) };
      rewrite.enableAuthRefresh = true;
      this.#injectedToken = true;
      authMethod = 'token';
    } else if (!clientHasCredential && config.auth.kind === 'tls') {
      rewrite.injectAuth = { methodName: 'tls', data: Buffer.alloc(0) };
      authMethod = 'tls';
    }
    this.#options.emit({
      event: 'pulsar.connect',
      id,
      clientVersion: connect.clientVersion,
      protocolVersion: connect.protocolVersion,
      authMethod,
      authInjected: rewrite.injectAuth !== undefined,
      broker: formatHostPort(this.#target),
    });
    return Object.keys(rewrite).length > 0 ? { replace: rewriteConnect(frame.command, rewrite) } : undefined;
  }

  /**
   * Rewrites a command that names a broker: at once when the broker's local port exists, or after
   * its listener opened (the frame keeps its place in the stream meanwhile).
   */
  #withBroker(command: Buffer, entry: BrokerEntry | Promise<BrokerEntry>, rewrite: (command: Buffer, entry: BrokerEntry) => Buffer): FrameDecision {
    if (!(entry instanceof Promise)) return { replace: rewrite(command, entry) };
    // The command is a view of a socket read; keep a copy for when the listener is ready.
    const copy = Buffer.from(command);
    return {
      replaceLater: entry.then(
        (ready) => rewrite(copy, ready),
        (failure: unknown) => {
          throw listenerFailure(failure);
        },
      ),
    };
  }

  #brokerFrame(frame: FrameHeader): FrameDecision {
    const { id, registry, emit } = this.#options;
    switch (frame.type) {
      case CommandType.CONNECTED: {
        const connected = readConnected(frame.command);
        this.#upReader.setMaxCommandSize(Number.POSITIVE_INFINITY);
        if (connected.maxMessageSize !== undefined && connected.maxMessageSize > 0) {
          this.#upReader.setMaxFrameSize(connected.maxMessageSize + FRAME_PADDING);
          this.#downReader.setMaxFrameSize(connected.maxMessageSize + FRAME_PADDING);
        }
        emit({ event: 'pulsar.connected', id, serverVersion: connected.serverVersion, protocolVersion: connected.protocolVersion, ...(connected.maxMessageSize !== undefined ? { maxMessageSize: connected.maxMessageSize } : {}) });
        return undefined;
      }
      case CommandType.LOOKUP_RESPONSE: {
        const answer = readLookupResponse(frame.command);
        const key = String(answer.requestId);
        const topic = this.#lookups.get(key) ?? '?';
        this.#lookups.delete(key);
        const response = responseNames[answer.response ?? LookupResponseType.Connect] ?? 'Failed';
        const named = response === 'Failed' ? undefined : tlsBrokerAddress(answer.brokerServiceUrl, answer.brokerServiceUrlTls);
        if (typeof named === 'string') {
          // The same reading and words as the Doctor's lookup step: the client gets a Failed lookup
          // that says why, not a broker address it cannot reach.
          const error = new AppError('PULSAR_LOOKUP_FAILED', `The lookup of ${topic} cannot be served: ${named}.`).toJSON();
          emit({ event: 'pulsar.lookup', id, topic, response: 'Failed', error });
          return { replace: failLookupResponse(frame.command, `pulsar-tunnel ${error.code}: ${error.message}`) };
        }
        let entry: BrokerEntry | Promise<BrokerEntry> | undefined;
        try {
          entry = response === 'Failed' ? undefined : registry.ensure(answer.brokerServiceUrl, answer.brokerServiceUrlTls);
        } catch (failure) {
          if (!isAppError(failure) || failure.code !== 'TUNNEL_BROKER_LIMIT') throw failure;
          emit({ event: 'pulsar.lookup', id, topic, response: 'Failed', error: failure.toJSON() });
          return { replace: failLookupResponse(frame.command, `pulsar-tunnel ${failure.code}: ${failure.message}`) };
        }
        if (!entry) {
          const reason = answer.message || `ServerError ${answer.error ?? 'unknown'}`;
          const error = response === 'Failed' ? new AppError('PULSAR_LOOKUP_FAILED', `The broker could not look up ${topic}: ${reason}.`).toJSON() : undefined;
          emit({ event: 'pulsar.lookup', id, topic, response, ...(error ? { error } : {}) });
          return undefined;
        }
        const report = (ready: BrokerEntry) => emit({ event: 'pulsar.lookup', id, topic, response, broker: ready.broker, local: ready.local });
        if (!(entry instanceof Promise)) report(entry);
        // A port that cannot be opened fails the connection (the answer cannot be rewritten); the
        // lookup is reported with the reason, so the log says which lookup it was.
        else void entry.then(report, (failure: unknown) => emit({ event: 'pulsar.lookup', id, topic, response, error: listenerFailure(failure).toJSON() }));
        return this.#withBroker(frame.command, entry, (command, ready) =>
          rewriteLookupResponse(command, { brokerServiceUrl: ready.localUrl, brokerServiceUrlTls: ready.localUrl, proxyThroughServiceUrl: true }),
        );
      }
      case CommandType.CLOSE_PRODUCER:
      case CommandType.CLOSE_CONSUMER: {
        const close = readCloseProducerOrConsumer(frame.command);
        if (typeof tlsBrokerAddress(close.assignedBrokerServiceUrl, close.assignedBrokerServiceUrlTls) === 'string') {
          // An assigned broker a TLS client cannot reach (plain URL only): without it the client
          // looks the topic up again, and that lookup's Failed answer says why.
          return { replace: rewriteCloseProducerOrConsumer(frame.command, { assignedBrokerServiceUrl: null, assignedBrokerServiceUrlTls: null }) };
        }
        const entry = ensureOrNull(() => registry.ensure(close.assignedBrokerServiceUrl, close.assignedBrokerServiceUrlTls));
        // Over the broker limit: without the assigned broker the client looks up again, and that lookup's Failed answer says why.
        if (entry === null) return { replace: rewriteCloseProducerOrConsumer(frame.command, { assignedBrokerServiceUrl: null, assignedBrokerServiceUrlTls: null }) };
        if (!entry) return undefined;
        const resource = frame.type === CommandType.CLOSE_PRODUCER ? 'producer' : 'consumer';
        void Promise.resolve(entry).then((ready) => emit({ event: 'pulsar.moved', id, resource, broker: ready.broker, local: ready.local }), () => undefined);
        return this.#withBroker(frame.command, entry, (command, ready) =>
          rewriteCloseProducerOrConsumer(command, { assignedBrokerServiceUrl: ready.localUrl, assignedBrokerServiceUrlTls: ready.localUrl }),
        );
      }
      case CommandType.TOPIC_MIGRATED: {
        const migrated = readTopicMigrated(frame.command);
        const entry = ensureOrNull(() => registry.ensure(migrated.brokerServiceUrl, migrated.brokerServiceUrlTls));
        if (!entry) return undefined;
        void Promise.resolve(entry).then((ready) => emit({ event: 'pulsar.moved', id, resource: 'topic', broker: ready.broker, local: ready.local }), () => undefined);
        return this.#withBroker(frame.command, entry, (command, ready) => rewriteTopicMigrated(command, { brokerServiceUrl: ready.localUrl, brokerServiceUrlTls: ready.localUrl }));
      }
      case CommandType.AUTH_CHALLENGE: {
        if (!this.#injectedToken) return undefined;
        // Any challenge is answered with the current token; reading it only rejects a malformed one.
        readAuthChallenge(frame.command);
        emit({ event: 'pulsar.authRefresh', id });
        void this.#answerChallenge();
        return { drop: true };
      }
      case CommandType.PONG: {
        if (this.#ownPings === 0) return undefined;
        this.#ownPings--;
        return { drop: true };
      }
      default:
        return undefined;
    }
  }

  async #answerChallenge(): Promise<void> {
    const { auth } = this.#options.config;
    if (auth.kind !== 'token') return;
    let token: string;
    try {
      token = await auth.getToken();
    } catch {
      token = this.#token ?? '';
    }
    this.#token = token;
    this.#injectUp(
      frameCommand(encodeAuthResponse({ clientVersion: this.#clientVersion, methodName: 'token', data: Buffer.from(token), protocolVersion: this.#protocolVersion })),
    );
  }
}
