/**
 * A minimal Pulsar client for the Doctor: over one already-secured socket it sends CONNECT and
 * LOOKUP and reads the answers. Frames are split by the engine's FrameReader (so an HTTP page where
 * a frame was expected is explained the same way as in the tunnel) and commands are built from the
 * same wire primitives as pulsar/commands.ts.
 */
import type tls from 'node:tls';
import { AppError } from '../../../shared/errors.ts';
import { CommandType, commandTypeName, encodeCommand, encodePong, frame, readConnected, readLookupResponse, type ConnectedInfo, type LookupResponseInfo } from '../pulsar/commands.ts';
import { FrameReader } from '../pulsar/frameReader.ts';
import { encodeFields, lastField, parseFields, readBytes, readString, readUint32 } from '../pulsar/wire.ts';
import type { AuthConfig } from '../config/tunnelConfig.ts';
import { clientCertRejected, isClientCertRejection, type ClientCertificateName } from '../transport/tlsErrors.ts';

/** CONNECT.client_version the Doctor sends, so broker logs show who connected. */
export const doctorClientVersion = 'pulsar-tunnel-doctor';

/** The protocol version the Doctor announces (Pulsar 3.x/4.x clients send 21). */
export const doctorProtocolVersion = 21;

/** ServerError names (PulsarApi.proto `enum ServerError`) for messages. */
const serverErrorNames: readonly string[] = [
  'UnknownError', // 0
  'MetadataError', // 1
  'PersistenceError', // 2
  'AuthenticationError', // 3
  'AuthorizationError', // 4
  'ConsumerBusy', // 5
  'ServiceNotReady', // 6
  'ProducerBlockedQuotaExceededError', // 7
  'ProducerBlockedQuotaExceededException', // 8
  'ChecksumError', // 9
  'UnsupportedVersionError', // 10
  'TopicNotFound', // 11
  'SubscriptionNotFound', // 12
  'ConsumerNotFound', // 13
  'TooManyRequests', // 14
  'TopicTerminatedError', // 15
  'ProducerBusy', // 16
  'InvalidTopicName', // 17
  'IncompatibleSchema', // 18
  'ConsumerAssignError', // 19
  'TransactionCoordinatorNotFound', // 20
  'InvalidTxnStatus', // 21
  'NotAllowedError', // 22
  'TransactionConflict', // 23
  'TransactionNotFound', // 24
  'ProducerFenced', // 25
];

/** The name of a ServerError value, e.g. "AuthenticationError". */
export function serverErrorName(value: number | undefined): string {
  if (value === undefined) return 'unknown';
  return serverErrorNames[value] ?? `ServerError ${value}`;
}

/** The credential a CONNECT carries, chosen as the tunnel injects it (routing/pulsarSession.ts). */
export async function connectCredential(auth: AuthConfig): Promise<{ methodName: string; data: Buffer } | undefined> {
  if (auth.kind === 'token') return { methodName: 'token', data: Buffer.from(await auth.getToken()) };
  if (auth.kind === 'tls') return { methodName: 'tls', data: Buffer.alloc(0) };
  return undefined;
}

/** A CONNECT (2) BaseCommand: 1 client_version, 3 auth_data, 4 protocol_version, 5 auth_method_name. */
export function encodeConnect(credential: { methodName: string; data: Buffer } | undefined): Buffer {
  const connect = encodeFields([
    [1, { string: doctorClientVersion }],
    ...(credential ? ([[3, { bytes: credential.data }]] as const) : []),
    [4, { int32: doctorProtocolVersion }],
    ...(credential ? ([[5, { string: credential.methodName }]] as const) : []),
  ]);
  return encodeCommand(CommandType.CONNECT, connect);
}

/** A LOOKUP (23) BaseCommand: 1 topic, 2 request_id, 3 authoritative. */
export function encodeLookup(topic: string, requestId: number, authoritative: boolean): Buffer {
  const lookup = encodeFields([
    [1, { string: topic }],
    [2, { uint64: requestId }],
    [3, { bool: authoritative }],
  ]);
  return encodeCommand(CommandType.LOOKUP, lookup);
}

/** Reads an ERROR (14): CommandError 1 request_id, 2 error (ServerError), 3 message. */
export function readServerError(command: Buffer): { error?: number; message?: string } {
  const fields = parseFields(command, 'BaseCommand');
  const subField = lastField(fields, CommandType.ERROR);
  if (!subField) return {};
  const sub = readBytes(command, subField, 'BaseCommand');
  const subFields = parseFields(sub, 'CommandError');
  const info: { error?: number; message?: string } = {};
  const errorField = lastField(subFields, 2);
  if (errorField) info.error = readUint32(sub, errorField, 'CommandError');
  const messageField = lastField(subFields, 3);
  if (messageField) info.message = readString(sub, messageField, 'CommandError');
  return info;
}

/** Reads Pulsar commands from one socket, one at a time. */
export class PulsarProbe {
  readonly #socket: tls.TLSSocket;
  readonly #sni: string | undefined;
  readonly #commands: Array<{ type: number; command: Buffer }> = [];
  #failure: AppError | undefined;
  #closed = false;
  #bytesReceived = 0;
  #bytesSent = 0;
  #wake: (() => void) | undefined;
  readonly #reader: FrameReader;

  /**
   * @param socket a secured socket to a broker (through the proxy) @param sni the name it was dialed for
   * @param clientCertificate the client certificate presented, named when the broker refuses it
   */
  constructor(socket: tls.TLSSocket, sni: string | undefined, clientCertificate?: ClientCertificateName) {
    this.#socket = socket;
    this.#sni = sni;
    this.#reader = new FrameReader({
      onFrame: (header) => {
        // A broker keepalive PING is answered at once, as every Pulsar client does (PulsarHandler).
        if (header.type === CommandType.PING) {
          this.send(encodePong());
          return { drop: true };
        }
        // Copy: the command is a view of a chunk the reader may reuse.
        this.#commands.push({ type: header.type, command: Buffer.from(header.command) });
        return { drop: true };
      },
    });
    socket.on('data', (chunk: Buffer) => {
      this.#bytesReceived += chunk.length;
      try {
        this.#reader.push(chunk, () => undefined);
      } catch (error) {
        this.#fail(error instanceof AppError ? error : new AppError('PULSAR_FRAME_INVALID', String(error)));
        socket.destroy();
      }
      this.#wake?.();
    });
    socket.on('error', (error) => {
      this.#fail(
        isClientCertRejection(error)
          ? clientCertRejected(error, { sni, clientCertificate })
          : new AppError('TUNNEL_PEER_RESET', `The connection for ${sni ?? 'the broker'} failed: ${(error as Error).message}.`, { cause: error }),
      );
      this.#wake?.();
    });
    // The dialer's sockets allow half-open: a peer's FIN shows as 'end' without 'close'.
    const onGone = () => {
      this.#closed = true;
      this.#wake?.();
    };
    socket.on('end', onGone);
    socket.on('close', onGone);
  }

  #fail(error: AppError): void {
    this.#failure ??= error;
  }

  /** Writes one framed command. */
  send(command: Buffer): void {
    const framed = frame(command);
    this.#bytesSent += framed.length;
    this.#socket.write(framed);
  }

  /**
   * The next command (PINGs never show: they are answered as they arrive).
   * @throws AppError TUNNEL_TLS_CLIENT_CERT_REJECTED, PULSAR_HTTP_RESPONSE, PULSAR_FRAME_INVALID,
   *   TUNNEL_PEER_RESET, PULSAR_CONNECT_FAILED (closed or silent for `timeoutMs`)
   */
  async next(timeoutMs: number, waitingFor: string): Promise<{ type: number; command: Buffer }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.#commands.shift();
      if (next) return next;
      if (this.#failure) throw this.#failure;
      if (this.#closed) {
        throw new AppError('PULSAR_CONNECT_FAILED', `The connection for ${this.#sni ?? 'the broker'} was closed while waiting for ${waitingFor}, without an answer.`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new AppError('PULSAR_CONNECT_FAILED', `No answer from ${this.#sni ?? 'the broker'} within ${timeoutMs} ms while waiting for ${waitingFor}.`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  /**
   * Sends CONNECT with `credential` and waits for CONNECTED.
   * @throws AppError PULSAR_AUTH_REJECTED (ERROR AuthenticationError/AuthorizationError),
   *   PULSAR_CONNECT_FAILED (another answer), and what {@link next} throws
   */
  async connect(credential: { methodName: string; data: Buffer } | undefined, timeoutMs: number): Promise<ConnectedInfo> {
    this.send(encodeConnect(credential));
    const { type, command } = await this.next(timeoutMs, 'CONNECTED');
    if (type === CommandType.CONNECTED) return readConnected(command);
    if (type === CommandType.ERROR) {
      const error = readServerError(command);
      const name = serverErrorName(error.error);
      const authProblem = error.error === 3 || error.error === 4;
      throw new AppError(
        authProblem ? 'PULSAR_AUTH_REJECTED' : 'PULSAR_CONNECT_FAILED',
        `The broker for ${this.#sni ?? 'the service'} refused the CONNECT (${name}: ${error.message ?? 'no message'}) using auth method "${credential?.methodName ?? 'none'}".`,
      );
    }
    if (type === CommandType.AUTH_CHALLENGE) {
      throw new AppError('PULSAR_CONNECT_FAILED', `The broker for ${this.#sni ?? 'the service'} started a multi-step authentication (AUTH_CHALLENGE), which the tunnel does not answer; use token or TLS authentication.`);
    }
    throw new AppError('PULSAR_CONNECT_FAILED', `The broker for ${this.#sni ?? 'the service'} answered CONNECT with ${commandTypeName(type)} instead of CONNECTED.`);
  }

  /**
   * Sends LOOKUP and waits for LOOKUP_RESPONSE.
   * @throws AppError PULSAR_LOOKUP_FAILED (Failed response or ERROR), and what {@link next} throws
   */
  async lookup(topic: string, requestId: number, authoritative: boolean, timeoutMs: number): Promise<LookupResponseInfo> {
    this.send(encodeLookup(topic, requestId, authoritative));
    const { type, command } = await this.next(timeoutMs, 'LOOKUP_RESPONSE');
    if (type === CommandType.LOOKUP_RESPONSE) {
      const response = readLookupResponse(command);
      if (response.response === 2) {
        throw new AppError('PULSAR_LOOKUP_FAILED', `The lookup of "${topic}" failed: ${serverErrorName(response.error)}: ${response.message ?? 'no message'}.`);
      }
      return response;
    }
    if (type === CommandType.ERROR) {
      const error = readServerError(command);
      throw new AppError('PULSAR_LOOKUP_FAILED', `The lookup of "${topic}" was refused: ${serverErrorName(error.error)}: ${error.message ?? 'no message'}.`);
    }
    throw new AppError('PULSAR_LOOKUP_FAILED', `The broker answered LOOKUP with ${commandTypeName(type)} instead of LOOKUP_RESPONSE.`);
  }

  /** Bytes received from the broker so far (after the TLS handshake). */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Bytes of commands written so far. */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** True once the socket closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection. */
  dispose(): void {
    this.#socket.destroy();
  }
}
