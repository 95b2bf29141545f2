/**
 * A local request's body on its way upstream: streamed as it arrives (with backpressure), and at the
 * same time kept in memory up to a bound so the request can be replayed to another broker when the
 * first one answers with a redirect. Past the bound the copy is dropped and only streaming goes on;
 * a redirect then cannot be followed and the caller answers 413.
 */
import type http from 'node:http';
import { AppError } from '../../../shared/errors.ts';

export class RequestBody {
  readonly #request: http.IncomingMessage;
  readonly #limit: number;
  #kept: Buffer[] | undefined = [];
  #keptBytes = 0;
  #ended = false;
  #failed: Error | undefined;
  #sink: http.ClientRequest | undefined;
  #sinkEnded = false;
  #listening = false;
  readonly #waiters = new Set<() => void>();
  readonly #leaveListeners = new Set<() => void>();

  /** @param limit bytes kept for a replay (the request still streams when it is larger) */
  constructor(request: http.IncomingMessage, limit: number) {
    this.#request = request;
    this.#limit = limit;
    // Watched from the start, not only once the body is read: the client may leave while the
    // request waits for the broker's 100 Continue, and a stream read after its close never ends.
    request.once('close', () => {
      if (this.#ended) return;
      this.#failed = new Error('local request closed early');
      this.#sink?.destroy();
      this.#wake();
      for (const listener of [...this.#leaveListeners]) listener();
    });
  }

  /**
   * Calls `listener` if the local client leaves before its whole request arrived (at once if it
   * already has); returns a function that stops watching.
   */
  whenLeft(listener: () => void): () => void {
    if (this.#failed) {
      listener();
      return () => undefined;
    }
    this.#leaveListeners.add(listener);
    return () => this.#leaveListeners.delete(listener);
  }

  /** True when the request declares a body (Content-Length > 0 or a Transfer-Encoding). */
  get declared(): boolean {
    const length = this.#request.headers['content-length'];
    return (length !== undefined && length !== '0') || this.#request.headers['transfer-encoding'] !== undefined;
  }

  /** Streams the body (from where it is now) into `sink` and ends it with the body. */
  pipeTo(sink: http.ClientRequest): void {
    this.#sink = sink;
    this.#sinkEnded = false;
    if (this.#failed) {
      sink.destroy();
      return;
    }
    if (this.#ended) {
      this.#endSink();
      return;
    }
    this.#listen();
    this.#request.resume();
  }

  /**
   * Stops feeding the current sink (its response was a redirect). A sink that did not get the
   * whole body is destroyed, so its half-sent request is not left on a keep-alive connection. The
   * rest of the body is still read, and kept while it fits, for a replay.
   */
  detach(): void {
    const sink = this.#sink;
    this.#sink = undefined;
    if (sink && !this.#sinkEnded) sink.destroy();
    if (!this.#ended) {
      this.#listen();
      this.#request.resume();
    }
  }

  /**
   * The whole body, once it has arrived, for sending again (with a Content-Length) to the broker a
   * redirect named.
   * @throws AppError HTTP_REDIRECT_BODY_TOO_LARGE when the body outgrew the replay bound;
   *   HTTP_UPSTREAM_FAILED when the local client left before sending all of it.
   */
  async whole(): Promise<Buffer> {
    await this.complete();
    return Buffer.concat(this.#kept ?? []);
  }

  /**
   * Resolves once the whole body is kept and can be replayed.
   * @throws AppError HTTP_REDIRECT_BODY_TOO_LARGE / HTTP_UPSTREAM_FAILED as for whole()
   */
  async complete(): Promise<void> {
    for (;;) {
      if (this.#kept === undefined) throw this.#tooLarge();
      if (this.#failed) throw new AppError('HTTP_UPSTREAM_FAILED', 'The local client closed the connection before sending the whole request body.', { cause: this.#failed });
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  /** True when the body is (so far) small enough to be replayed. */
  get replayable(): boolean {
    return this.#kept !== undefined;
  }

  #tooLarge(): AppError {
    return new AppError(
      'HTTP_REDIRECT_BODY_TOO_LARGE',
      `The web service redirected this request to another broker, and its body is larger than the ${this.#limit} bytes the tunnel keeps for a replay; send it again with a smaller body, or split it.`,
    );
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
    this.#waiters.clear();
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    const request = this.#request;
    request.on('data', (chunk: Buffer) => {
      if (this.#kept !== undefined) {
        this.#keptBytes += chunk.length;
        if (this.#keptBytes <= this.#limit) this.#kept.push(chunk);
        else {
          // Memory stays bounded: past the limit the copy is dropped, not grown.
          this.#kept = undefined;
          this.#wake();
        }
      }
      const sink = this.#sink;
      if (sink && !sink.destroyed && !sink.write(chunk)) {
        request.pause();
        sink.once('drain', () => request.resume());
      }
    });
    request.once('end', () => {
      this.#ended = true;
      this.#endSink();
      this.#wake();
    });
  }

  #endSink(): void {
    const sink = this.#sink;
    if (!sink || this.#sinkEnded) return;
    this.#sinkEnded = true;
    sink.end();
  }
}
