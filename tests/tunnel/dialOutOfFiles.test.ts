/**
 * A dial to the proxy that fails because the tunnel has no file descriptor left (EMFILE from
 * socket(2)) is the tunnel's own limit: it is reported as TUNNEL_FILE_LIMIT, never as the proxy
 * being unreachable (which would send the user to check a proxy that is fine).
 */
import { expect, it } from 'vitest';
import { classifyDialError } from '../../src-main/core/transport/tlsErrors.ts';

it.each(['EMFILE', 'ENFILE'])('reports a dial failing with %s as TUNNEL_FILE_LIMIT, not a proxy fault', (code) => {
  const error = Object.assign(new Error(`connect ${code}`), { code, syscall: 'connect' });
  const classified = classifyDialError(error, { stage: 'connect', dialed: 'proxy.test:443', sni: 'broker.test', bytesRead: 0 });
  expect(classified.code).toBe('TUNNEL_FILE_LIMIT');
  expect(classified.message).toMatch(/ulimit -n/);
});
