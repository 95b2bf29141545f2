/**
 * The engine process's side (see engineProtocol.ts): runs the tunnels the shell starts, forwards
 * their events with a fresh status snapshot, and asks the shell for tokens when a connection needs
 * one. Resolves once the shell has gone and every tunnel is closed.
 */
import { AppError } from '../../../shared/errors.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { Tunnel } from '../tunnel/tunnel.ts';
import type { EngineEndpoint, PlainTunnelConfig, ToEngine } from './engineProtocol.ts';
import { serializeError } from './serializeError.ts';

export function serveTunnels(endpoint: EngineEndpoint): Promise<void> {
  const tunnels = new Map<number, Promise<Tunnel | undefined>>();
  const tokenRequests = new Map<number, { resolve: (token: string) => void; reject: (error: unknown) => void }>();
  let nextRequest = 0;

  const configOf = (id: number, plain: PlainTunnelConfig): TunnelConfig => {
    if (plain.auth.kind !== 'token') return plain as TunnelConfig;
    const getToken = () =>
      new Promise<string>((resolve, reject) => {
        const requestId = (nextRequest += 1);
        tokenRequests.set(requestId, { resolve, reject });
        endpoint.send({ type: 'token', id, requestId });
      });
    return { ...plain, auth: { kind: 'token', getToken } };
  };

  const start = (id: number, plain: PlainTunnelConfig, progressIntervalMs: number | undefined) => {
    let tunnel: Tunnel | undefined;
    const starting = Tunnel.start(configOf(id, plain), {
      progressIntervalMs,
      onEvent: (event) => endpoint.send({ type: 'event', id, event, status: tunnel?.status() ?? { brokers: [], openConnections: 0, totalConnections: 0 } }),
    }).then(
      (started) => {
        tunnel = started;
        endpoint.send({ type: 'started', id, addresses: started.addresses, status: started.status() });
        return started;
      },
      (error: unknown) => {
        tunnels.delete(id);
        endpoint.send({ type: 'failed', id, error: serializeError(error) });
        return undefined;
      },
    );
    tunnels.set(id, starting);
  };

  const stop = async (id: number) => {
    const tunnel = await tunnels.get(id);
    tunnels.delete(id);
    await tunnel?.dispose();
    endpoint.send({ type: 'stopped', id });
  };

  return new Promise<void>((resolve) => {
    endpoint.onMessage((message: ToEngine) => {
      switch (message.type) {
        case 'start':
          start(message.id, message.config, message.progressIntervalMs);
          break;
        case 'stop':
          void stop(message.id);
          break;
        case 'ping':
          endpoint.send({ type: 'pong' });
          break;
        case 'token': {
          const request = tokenRequests.get(message.requestId);
          tokenRequests.delete(message.requestId);
          if (message.ok) request?.resolve(message.token);
          else request?.reject(new AppError(message.error.code, message.error.message));
          break;
        }
        default:
          break;
      }
    });
    endpoint.onDisconnect(() => {
      for (const request of tokenRequests.values()) request.reject(new AppError('ENGINE_CRASHED', 'The app that started this engine is gone.'));
      void Promise.allSettled([...tunnels.values()].map(async (starting) => (await starting)?.dispose())).then(() => resolve());
    });
    endpoint.send({ type: 'ready' });
  });
}
