/** Parsers of the port options the commands share (`--port`, `--web-port`), so they agree on what a port is. */
import { InvalidArgumentError } from 'commander';

/** A port from 1 to 65535. @throws InvalidArgumentError (commander exits 2 with the option's name) */
export function portOption(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return Number(value);
}

/** A port from 0 to 65535, where 0 asks the system for a free one. @throws InvalidArgumentError */
export function listenPortOption(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535 (0 picks a free port)');
  return Number(value);
}
