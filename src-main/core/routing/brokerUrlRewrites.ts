/**
 * Broker → client: every broker URL a client would follow (LOOKUP_RESPONSE, CLOSE_PRODUCER /
 * CLOSE_CONSUMER assigned URLs, TOPIC_MIGRATED) is replaced by that broker's local port, opened on
 * demand through the registry, and proxy_through_service_url is set so proxy-aware clients come
 * back through the main port. An answer the tunnel cannot serve becomes a Failed lookup that says
 * why. Each lookup answer is logged with the topic its request named.
 */
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import { tlsBrokerAddress } from '../../../shared/model/brokerUrl.ts';
import {
  CommandType,
  failLookupResponse,
  LookupResponseType,
  readCloseProducerOrConsumer,
  readLookupResponse,
  readTopicMigrated,
  rewriteCloseProducerOrConsumer,
  rewriteLookupResponse,
  rewriteTopicMigrated,
  type Uint64,
} from '../pulsar/commands.ts';
import type { FrameDecision, FrameHeader } from '../pulsar/frameReader.ts';
import { ensureOrNull, type BrokerEntry, type BrokerRegistry } from './brokerRegistry.ts';

/** Lookups remembered per connection while their answers are outstanding. */
const MAX_OUTSTANDING_LOOKUPS = 10_000;

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

/** What {@link BrokerUrlRewrites} needs from its connection. */
export interface BrokerUrlRewritesOptions {
  /** The connection's id, for events. */
  id: number;
  registry: BrokerRegistry;
  emit: (event: TunnelEvent) => void;
}

/** The broker → client rewrites of one connection, with the lookups it has outstanding. */
export class BrokerUrlRewrites {
  readonly #options: BrokerUrlRewritesOptions;
  readonly #lookups = new Map<string, string>();

  constructor(options: BrokerUrlRewritesOptions) {
    this.#options = options;
  }

  /** Remembers the topic of a client's LOOKUP, to name it when the answer comes (bounded). */
  rememberLookup(requestId: Uint64, topic: string): void {
    if (this.#lookups.size < MAX_OUTSTANDING_LOOKUPS) this.#lookups.set(String(requestId), topic);
  }

  /**
   * Decides a LOOKUP_RESPONSE, CLOSE_PRODUCER, CLOSE_CONSUMER or TOPIC_MIGRATED frame: kept,
   * replaced now, or replaced once the named broker's local port is open.
   * @throws AppError PULSAR_FRAME_INVALID for a malformed command
   */
  rewrite(frame: FrameHeader): FrameDecision {
    const { id, registry, emit } = this.#options;
    switch (frame.type) {
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
      default:
        return undefined;
    }
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
}
