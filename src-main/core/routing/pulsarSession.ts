/**
 * Protocol awareness for one connection: reads Pulsar frames in both directions for the
 * connection's whole life and changes only the few that must change. The decisions live beside it:
 * clientConnect.ts (client → broker: the first bytes and the CONNECT), brokerUrlRewrites.ts
 * (broker → client: every broker URL a client would follow). This class sequences them and owns
 * what the tunnel itself sends towards the broker.
 *
 * Token refresh: when the tunnel injected the token it also sets supports_auth_refresh, drops the
 * broker's AUTH_CHALLENGE and answers it itself with the current token (read again from its source,
 * so a rotated token file is picked up). Clearing the flag instead would make the broker close the
 * connection when the token expires, which is what this tool exists to spare its users. Its own
 * keepalive PINGs (and the PONGs they get) follow the same path: injected at a frame boundary.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { AppError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import {
  CONNECT_REQUEST_ID,
  CommandType,
  encodeAuthResponse,
  encodeError,
  encodePing,
  frame as frameCommand,
  readAuthChallenge,
  readConnect,
  readConnected,
  readLookup,
  readProducer,
  readSubscribe,
  rewriteConnect,
  ServerError,
} from '../pulsar/commands.ts';
import { FrameReader, type FrameDecision, type FrameHeader } from '../pulsar/frameReader.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import type { DialTarget } from '../../../shared/model/endpoints.ts';
import type { ConnectionSession } from '../transport/connections.ts';
import type { ByteCounters, StreamTransform } from '../transport/join.ts';
import type { BrokerRegistry } from './brokerRegistry.ts';
import { BrokerUrlRewrites } from './brokerUrlRewrites.ts';
import { foreignProtocol, planConnect } from './clientConnect.ts';
import { OrderedOutput } from './orderedOutput.ts';

/** Pulsar's frame limit is max_message_size plus this much for the command and metadata. */
const FRAME_PADDING = 10_240;

export interface PulsarSessionOptions {
  id: number;
  config: TunnelConfig;
  registry: BrokerRegistry;
  /** The broker this listener stands for; undefined on the main port. */
  boundTo?: DialTarget;
  counters: ByteCounters;
  emit: (event: TunnelEvent) => void;
}

/** Client commands before CONNECTED (a CONNECT is a few hundred bytes; room for large auth data). */
export const MAX_COMMAND_BEFORE_SESSION = 64 * 1024;

function endedBeforeConnect(): AppError {
  return new AppError('PULSAR_NO_CONNECT', 'The connection ended before the client sent a Pulsar CONNECT.');
}

/** What `work` gives, unless `signal` aborts first (the connection ended): then PULSAR_NO_CONNECT at once. */
function unlessEnded<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(endedBeforeConnect());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(endedBeforeConnect());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export class PulsarSession implements ConnectionSession {
  readonly #options: PulsarSessionOptions;
  readonly #upReader: FrameReader;
  readonly #downReader: FrameReader;
  readonly #downOutput = new OrderedOutput();
  /** Made at the first frame that needs it (many connections never look anything up). */
  #brokerUrls: BrokerUrlRewrites | undefined;
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
  /** Keep-alive: the bytes moved either way when last checked, and since when they have not changed. */
  #seen = 0;
  #quietSince = 0;
  #token: string | undefined;

  constructor(options: PulsarSessionOptions) {
    this.#options = options;
    // Else any local process could make the tunnel buffer a 5 MB "command" per connection. Lifted
    // on CONNECTED: a PRODUCER's schema, and broker answers (GetTopicsOfNamespaceResponse,
    // GetSchemaResponse), can legitimately be megabytes.
    this.#upReader = new FrameReader({ onFrame: (frame) => this.#clientFrame(frame), maxCommandSize: MAX_COMMAND_BEFORE_SESSION });
    this.#downReader = new FrameReader({ onFrame: (frame) => this.#brokerFrame(frame) });
    this.up = this.#upReader;
  }

  /** Client → broker: the client's frames go through their reader as they are read. */
  readonly up: StreamTransform;

  /** The broker URL rewrites of this connection (its id, registry and emit are the session's). */
  get #rewrites(): BrokerUrlRewrites {
    return (this.#brokerUrls ??= new BrokerUrlRewrites(this.#options));
  }

  readonly #emitDown = (out: Buffer): void => this.#downOutput.emit(out);
  readonly #deferDown = (later: Promise<Buffer>): void => this.#downOutput.defer(later);

  /** Broker → client. */
  readonly down: StreamTransform = {
    push: (chunk, emit) => {
      this.#downOutput.bind(emit);
      this.#downReader.push(chunk, this.#emitDown, this.#deferDown);
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
    // The token may be slow to come (a keychain over D-Bus): the connection may end meanwhile.
    if (auth.kind === 'token') this.#token = await unlessEnded(auth.getToken(), signal);
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
      const onAbort = () => fail(endedBeforeConnect());
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
      this.#seen = counters.bytesUp + counters.bytesDown;
      this.#quietSince = Date.now();
      // An idle tunnel is closed by ATS after 30 s (no activity either way), racing Pulsar's own
      // 30 s keepalive; a PING of our own after each interval of silence keeps it open. Checked
      // four times per interval so the PING goes out close to the interval, not up to twice it.
      // (A static method given the session: no closure per connection.)
      this.#keepAlive = setInterval(PulsarSession.#checkQuiet, Math.max(50, (seconds * 1000) / 4), this);
      this.#keepAlive.unref();
    }
  }

  /** One keep-alive check: a PING once the connection has been quiet for the interval. */
  static #checkQuiet(session: PulsarSession): void {
    const { counters, config } = session.#options;
    const activity = counters.bytesUp + counters.bytesDown;
    const now = Date.now();
    if (activity !== session.#seen) {
      session.#seen = activity;
      session.#quietSince = now;
    } else if (now - session.#quietSince >= config.keepAliveIntervalSeconds * 1000) {
      session.#quietSince = now;
      session.#ownPings++;
      session.#injectUp(frameCommand(encodePing()));
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
        this.#rewrites.rememberLookup(lookup.requestId, lookup.topic);
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
    const plan = planConnect(connect, { config, registry, ...(boundTo ? { boundTo } : {}), ...(this.#token !== undefined ? { token: this.#token } : {}) });
    this.#target = plan.target;
    this.#injectedToken = plan.injectedToken;
    this.#options.emit({ event: 'pulsar.connect', id, ...plan.report });
    return plan.rewrite ? { replace: rewriteConnect(frame.command, plan.rewrite) } : undefined;
  }

  #brokerFrame(frame: FrameHeader): FrameDecision {
    const { id, emit } = this.#options;
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
      case CommandType.LOOKUP_RESPONSE:
      case CommandType.CLOSE_PRODUCER:
      case CommandType.CLOSE_CONSUMER:
      case CommandType.TOPIC_MIGRATED:
        return this.#rewrites.rewrite(frame);
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
