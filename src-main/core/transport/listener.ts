/**
 * Opens a local TCP listener and maps the operating system's refusals to AppErrors that name the
 * address and say what to do.
 */
import net from 'node:net';
import { AppError } from '../../../shared/errors.ts';
import type { ListenerKind } from '../../../shared/model/events.ts';
import { formatHostPort } from '../../../shared/model/endpoints.ts';
import type { ListenerGuard } from './listenerGuard.ts';

export interface ListenOptions {
  host: string;
  port: number;
  /** What this listener is for, in the error message ("listen.port", "listen.webPort"). */
  field: string;
  onConnection: (socket: net.Socket) => void;
  /** Accept errors after listening started (e.g. EMFILE): reported, never fatal. */
  onAcceptError: (error: AppError) => void;
  /** The tunnel's bounds (connection cap, file-descriptor reserve), applied to this listener as `kind`. */
  guard?: { guard: ListenerGuard; kind: ListenerKind };
}

/**
 * Listens and resolves once the listener accepts connections.
 * @throws AppError TUNNEL_LISTEN_IN_USE when the port is taken, TUNNEL_LISTEN_FAILED otherwise.
 */
export async function listen(options: ListenOptions): Promise<net.Server> {
  // allowHalfOpen: a client's FIN must not end our side before the broker's answer is through.
  // pauseOnConnect: no byte is read until the connection to the broker is up (bounded memory).
  const address = formatHostPort(options);
  const guard = options.guard;
  /** The bound address (the port is known once listening), as reports name it. */
  let bound = address;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => {
    if (guard && !guard.guard.admit(socket, guard.kind, bound)) return;
    options.onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(new AppError('TUNNEL_LISTEN_IN_USE', `Local address ${address} is already in use (another tunnel or a local Pulsar?); stop that program or change ${options.field}.`, { cause: error }));
      } else if (error.code === 'EADDRNOTAVAIL') {
        reject(new AppError('TUNNEL_LISTEN_FAILED', `${options.host} is not an address of this computer; change listen.host.`, { cause: error }));
      } else if (error.code === 'EACCES') {
        reject(new AppError('TUNNEL_LISTEN_FAILED', `Not allowed to listen on ${address} (ports below 1024 need privileges); choose another ${options.field}.`, { cause: error }));
      } else {
        reject(new AppError('TUNNEL_LISTEN_FAILED', `Cannot listen on ${address}: ${error.message}.`, { cause: error }));
      }
    };
    const onListening = () => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: options.host, port: options.port, exclusive: true });
  });
  bound = serverAddress(server);
  guard?.guard.watch(server, guard.kind, bound);
  // Accept errors must never take the listener down. On EMFILE/ENFILE libuv sheds pending
  // connections itself and reaches Node only when it has no spare descriptor left (the guard's
  // file reserve is what normally reports running out); we report them, backing off from 5 ms to
  // 1 s between reports so a storm of failures does not flood the log (ghostunnel's accept backoff).
  let backoffMs = 5;
  let quietUntil = 0;
  server.on('error', (error: NodeJS.ErrnoException) => {
    const now = Date.now();
    if (now < quietUntil) {
      backoffMs = Math.min(backoffMs * 2, 1000);
      return;
    }
    quietUntil = now + backoffMs;
    const outOfFiles = error.code === 'EMFILE' || error.code === 'ENFILE';
    options.onAcceptError(
      outOfFiles
        ? new AppError('TUNNEL_FILE_LIMIT', `Accepting a connection on ${address} failed: the ${error.code === 'EMFILE' ? 'tunnel' : 'system'} has no file descriptor left (${error.code}); close idle clients or raise the limit (ulimit -n).`, { cause: error })
        : new AppError('TUNNEL_LISTEN_FAILED', `Accepting a connection on ${address} failed: ${error.message}.`, { cause: error }),
    );
  });
  return server;
}

/** The actual local address of a listening server, host:port. */
export function serverAddress(server: net.Server): string {
  const address = server.address() as net.AddressInfo;
  return formatHostPort({ host: address.address, port: address.port });
}
