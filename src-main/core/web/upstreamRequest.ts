/**
 * One request from the web listener to a broker's web service.
 *
 * A request with a body asks first (`Expect: 100-continue`) and sends the body once the broker says
 * `100 Continue` (Jetty, Pulsar's web server, says it when the handler reads the body), or after
 * `continueWaitMs` without an answer (counted from when the request has its connection), for
 * servers that ignore the expectation (RFC 9110 10.1.1), and at once, without asking, to a server
 * that refuses the expectation with 417. A broker that answers without reading the body (a 307 to
 * the topic's owner, a 401) gets none, and so never closes its connection on unread bytes: a close
 * with unread data is a TCP reset, which can overtake the broker's own answer on the way back
 * through the proxy, and the local client got a 502 where the redirect should have been followed
 * (or answered 413). That request is never finished, so its connection is closed once the answer is
 * read rather than kept for another.
 */
import type http from 'node:http';
import { request as httpRequest } from 'node:http';
import type { DialTarget } from '../../../shared/model/endpoints.ts';
import { hostHeader } from './httpRewrite.ts';
import type { RequestBody } from './requestBody.ts';

export interface UpstreamRequest {
  /** The keep-alive agent whose connections reach `target` through the tunnel's dialer. */
  agent: http.Agent;
  target: DialTarget;
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body: RequestBody;
  /** Send the whole kept body with a Content-Length (a redirected request), not the stream as it arrives. */
  replay: boolean;
  /** How long to wait for `100 Continue` before sending the body anyway. */
  continueWaitMs: number;
  /** Ask before sending a body (true unless a broker refused the expectation with 417). */
  expectContinue?: boolean;
}

/**
 * Sends the request; resolves with the answer's head.
 * @throws AppError HTTP_REDIRECT_BODY_TOO_LARGE / HTTP_UPSTREAM_FAILED from a replayed body
 *   (RequestBody.whole); the request's own error (with `reusedSocket`) when it fails before an answer.
 */
export async function sendUpstream(options: UpstreamRequest): Promise<http.IncomingMessage> {
  const { body } = options;
  const headers: http.OutgoingHttpHeaders = { ...options.headers, host: hostHeader(options.target) };
  const replayed = options.replay ? await body.whole() : undefined;
  if (replayed !== undefined) {
    delete headers['transfer-encoding'];
    if (replayed.length > 0 || body.declared) headers['content-length'] = replayed.length;
  }
  const expectContinue = body.declared && options.expectContinue !== false;
  if (expectContinue) headers.expect = '100-continue';
  return new Promise((resolve, reject) => {
    const upstream = httpRequest({ agent: options.agent, method: options.method, path: options.path, headers });
    let bodySent = false;
    let waiting: NodeJS.Timeout | undefined;
    // A local client that leaves while the request waits for 100 Continue ends it at once.
    const unwatch = expectContinue ? body.whenLeft(() => upstream.destroy()) : () => undefined;
    /** The body goes now or never: nothing waits for 100 Continue or the client's leaving any more. */
    const stopWaiting = () => {
      bodySent = true;
      unwatch();
      clearTimeout(waiting);
    };
    const sendBody = () => {
      if (bodySent) return;
      stopWaiting();
      if (replayed !== undefined) upstream.end(replayed);
      else body.pipeTo(upstream);
    };
    upstream.once('response', (answer) => {
      // Later errors belong to the response stream, which the caller pipes and watches.
      upstream.on('error', () => undefined);
      if (!bodySent) {
        // Answered before it asked for the body: none is sent, and the unfinished request's connection goes.
        stopWaiting();
        answer.once('end', () => upstream.destroy());
        if (answer.statusCode === 417) {
          // The broker (or something before it) refuses the expectation the tunnel added, not the
          // local client's request: sent again without it (RFC 9110 10.1.1), the body not yet read.
          answer.resume();
          resolve(sendUpstream({ ...options, expectContinue: false }));
          return;
        }
      }
      resolve(answer);
    });
    upstream.once('error', (failure) => {
      stopWaiting();
      reject(Object.assign(failure, { reusedSocket: upstream.reusedSocket }));
    });
    if (!expectContinue) {
      sendBody();
      return;
    }
    // The wait counts from when the head can go out: a request queued for one of the agent's
    // connections, or waiting for its dial, would otherwise spend it there.
    upstream.once('socket', (socket) => {
      const arm = () => {
        if (!bodySent) waiting = setTimeout(sendBody, options.continueWaitMs);
      };
      if (socket.connecting) socket.once('connect', arm);
      else arm();
    });
    upstream.once('continue', sendBody);
    upstream.flushHeaders();
  });
}
