/**
 * `pulsar-tunnel run <profile.json | --profile NAME> [--log-format json|text]`: runs one profile's
 * tunnel in the foreground until SIGINT or SIGTERM.
 */
import { Option, type Command } from 'commander';
import { AppError } from '../../../shared/errors.ts';
import { loadProfileFile } from '../../core/profiles/profileFile.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import { formatRisk } from '../../../shared/model/risks.ts';
import { configRisks, type TunnelConfig } from '../../core/tunnel/config.ts';
import { Tunnel } from '../../core/tunnel/tunnel.ts';
import { CliExit, type CliContext } from '../context.ts';
import { eventPrinter, type LogFormat } from '../output.ts';

interface RunOptions {
  profile?: string;
  logFormat: LogFormat;
}

/** Resolves what to run: a profile file, or a stored profile by name. */
async function resolveConfig(file: string | undefined, options: RunOptions, context: CliContext): Promise<TunnelConfig> {
  if (file && options.profile) throw new CliExit(2, 'Give either a profile file or --profile NAME, not both.');
  if (file) return loadProfileFile(file);
  if (options.profile) return context.storedProfileConfig(options.profile);
  throw new CliExit(2, 'Name a profile file (pulsar-tunnel run profile.json) or a stored profile (--profile NAME).');
}

/** Says, at every start, which risky settings the profile has: on stderr, and as `warning` events in the log. */
function warnRisks(config: TunnelConfig, print: (event: TunnelEvent) => void): void {
  for (const risk of configRisks(config)) {
    process.stderr.write(`warning: ${formatRisk(risk)}\n`);
    print({ event: 'warning', ...risk });
  }
}

export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run a profile\'s tunnel in the foreground until SIGINT/SIGTERM')
    .argument('[profile-file]', 'profile file (JSON, version 1)')
    .option('--profile <name>', 'a profile from the profile store')
    .addOption(new Option('--log-format <format>', 'connection log format on stdout').choices(['json', 'text']).default('text'))
    .action(async (file: string | undefined, options: RunOptions) => {
      const print = eventPrinter(options.logFormat);
      let config: TunnelConfig;
      let tunnel: Tunnel;
      try {
        config = await resolveConfig(file, options, context);
        warnRisks(config, print);
        tunnel = await Tunnel.start(config, { onEvent: print });
      } catch (error) {
        // A profile that cannot be used is bad input: exit 2 before `ready`. A keychain that cannot
        // answer is a runtime failure of this machine, not of the input: exit 1.
        if (error instanceof AppError) throw new CliExit(error.code.startsWith('KEYCHAIN_') ? 1 : 2, `${error.code}: ${error.message}`);
        throw error;
      }
      await context.untilSignal();
      await tunnel.dispose();
    });
}
