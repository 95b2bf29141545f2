/** What every CLI command gets from main.ts (dependency injection instead of globals). */
import type { TunnelConfig } from '../core/config/tunnelConfig.ts';

/** Ends the CLI with an exit status and a message for stderr. */
export class CliExit extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface CliContext {
  /** Resolves when SIGINT or SIGTERM arrives. */
  untilSignal(): Promise<NodeJS.Signals>;
  /** The TunnelConfig of a profile in the profile store. */
  storedProfileConfig(name: string): Promise<TunnelConfig>;
}
