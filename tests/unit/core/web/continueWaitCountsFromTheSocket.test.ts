/**
 * The wait for a broker's `100 Continue` counts from when the request has a connection, not from
 * when it was made: a request queued behind the agent's busy connections (four per broker), or
 * waiting for its dial through the proxy, used up the wait in the queue and then sent its body right
 * behind its head, so a broker that redirects without reading it got the unread body again (whose
 * close the expectation is there to avoid).
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestBody } from '../../../../src-main/core/web/requestBody.ts';
import { sendUpstream } from '../../../../src-main/core/web/upstreamRequest.ts';
import { once, withDeadline } from '../../../fixtures/deadline.ts';

// Wide margins for a loaded machine: the broker looks for body bytes for 300 ms of a 1.5 s wait.
const continueWaitMs = 1_500;
const lookMs = 300;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listening(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening', 5_000);
  closers.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return (server.address() as net.AddressInfo).port;
}

describe('the wait for 100 Continue', () => {
  it('starts when the request gets a connection, not while it waits in the queue for one', async () => {
    // The broker: /hold keeps the only connection busy until released; /put answers 307 without
    // saying 100 Continue, after looking for body bytes for `lookMs`.
    let release!: () => void;
    const broker = http.createServer();
    const onRequest = (request: http.IncomingMessage, response: http.ServerResponse) => {
      if (request.url === '/hold') {
        release = () => response.end('held');
        return;
      }
      let bodyBytes = 0;
      request.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
      setTimeout(() => {
        response.writeHead(307, { location: 'https://elsewhere.test/put', 'content-length': 0, 'x-body-bytes': String(bodyBytes), connection: 'close' });
        response.end();
      }, lookMs);
    };
    broker.on('request', onRequest);
    broker.on('checkContinue', onRequest);
    const brokerPort = await listening(broker);
    // One connection to the broker, as the tunnel's agents make theirs (createConnection, whatever the request's host).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    (agent as unknown as { createConnection: () => net.Socket }).createConnection = () => net.connect(brokerPort, '127.0.0.1');
    closers.push(async () => agent.destroy());
    const target = { host: '127.0.0.1', port: brokerPort };

    // The local side: a server whose request bodies go upstream as the web listener sends them.
    const answers: Promise<http.IncomingMessage>[] = [];
    const front = http.createServer((request, response) => {
      const answer = sendUpstream({ agent, target, method: 'PUT', path: '/put', headers: { 'content-length': request.headers['content-length'] }, body: new RequestBody(request, 1024 * 1024), replay: false, continueWaitMs });
      answers.push(answer);
      // Answered once the broker has (as the web listener does): the local request stays open until then.
      answer.then(() => response.end(), () => response.end());
    });
    const frontPort = await listening(front);

    // No host or port, as sendUpstream's own requests: the same pool of the agent.
    const held = http.get({ agent, path: '/hold' });
    held.on('error', () => undefined);
    await withDeadline(new Promise<void>((resolve) => broker.once('request', () => resolve())), 5_000, 'the held request');
    const local = http.request({ host: '127.0.0.1', port: frontPort, method: 'PUT', path: '/put', agent: false });
    local.on('error', () => undefined);
    local.end(Buffer.alloc(64 * 1024, 1));
    await withDeadline(new Promise<void>((resolve) => front.once('request', () => resolve())), 5_000, 'the local request');
    // The queue outlasts the wait.
    await new Promise((resolve) => setTimeout(resolve, 2 * continueWaitMs));
    release();

    const answer = await withDeadline(answers[0]!, 5_000, 'the answer');
    answer.resume();
    await withDeadline(new Promise((resolve) => answer.once('end', resolve)), 5_000, 'the answer read');
    expect(answer.statusCode).toBe(307);
    expect(answer.headers['x-body-bytes']).toBe('0');
  });
});
