/**
 * `pulsar-tunnel run <profile.json | --profile NAME> [--port N] [--web-port N] [--log-format json|text]`:
 * runs one profile's tunnel in the foreground until SIGINT or SIGTERM. The tunnel is recorded in the
 * data folder while it runs, so another tunnel wanting its port is told which profile holds it.
 */
import { Option, type Command } from 'commander';
import { AppError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { TunnelConfig } from '../../core/config/tunnelConfig.ts';
import type { RunningTunnel } from '../../core/service/ports.ts';
import { CliExit, type CliContext } from '../context.ts';
import { eventPrinter, type LogFormat } from '../output.ts';
import { printable } from '../printable.ts';
import { listenPortOption } from '../portOption.ts';

interface RunOptions {
  profile?: string;
  port?: number;
  webPort?: number;
  logFormat: LogFormat;
  readSecrets?: boolean;
}

/** The profile's listen ports, replaced by --port / --web-port for this run only. */
function withPorts(config: TunnelConfig, options: RunOptions): TunnelConfig {
  if (options.webPort !== undefined && config.web === undefined) {
    throw new CliExit(2, `--web-port: profile "${config.name}" has no webServiceUrl, so it has no web listener.`);
  }
  return {
    ...config,
    listen: { ...config.listen, port: options.port ?? config.listen.port, ...(options.webPort === undefined ? {} : { webPort: options.webPort }) },
  };
}

/**
 * Resolves what to run: a profile file, or a stored profile by name. Each secret a profile file
 * makes us read from this computer is announced first (stderr and a `secret.read` event); one that
 * needs consent without --read-secrets fails the load (PROFILE_SECRETS_NOT_CONFIRMED).
 */
async function resolveConfig(file: string | undefined, options: RunOptions, context: CliContext, print: (event: TunnelEvent) => void): Promise<TunnelConfig> {
  if (file && options.profile) throw new CliExit(2, 'Give either a profile file or --profile NAME, not both.');
  if (file) {
    const { loadProfileFile } = await import('../../core/profiles/profileFileLoader.ts');
    return loadProfileFile(file, {
      readSecrets: options.readSecrets === true,
      onSecretRead: ({ source, message }) => {
        process.stderr.write(`warning: ${printable(message)}\n`);
        print({ event: 'secret.read', secret: source.secret, from: source.from, name: source.name, field: source.field, sentTo: source.sentTo, message });
      },
    });
  }
  if (options.profile) return context.storedProfileConfig(options.profile);
  throw new CliExit(2, 'Name a profile file (pulsar-tunnel run profile.json) or a stored profile (--profile NAME).');
}

/** Says, at every start, which risky settings the profile has: on stderr, and as `warning` events in the log. */
async function warnRisks(config: TunnelConfig, print: (event: TunnelEvent) => void): Promise<void> {
  // Loaded here, not at the CLI's start: the risk list pulls in the profile schema (zod).
  const [{ configRisks }, { formatRisk }] = await Promise.all([import('../../core/config/tunnelConfig.ts'), import('../../../shared/model/risks.ts')]);
  for (const risk of configRisks(config)) {
    process.stderr.write(`warning: ${printable(formatRisk(risk))}\n`);
    print({ event: 'warning', ...risk });
  }
}

export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run a profile\'s tunnel in the foreground until SIGINT/SIGTERM')
    .argument('[profile-file]', 'profile file (JSON, version 1)')
    .option('--profile <name>', 'a profile from the profile store')
    .option('--port <port>', 'the local Pulsar port for this run, instead of the profile\'s listen.port (0 picks a free port)', listenPortOption)
    .option('--web-port <port>', 'the local web port for this run, instead of the profile\'s listen.webPort', listenPortOption)
    .option('--read-secrets', 'let a profile file read the secrets it names in environment variables or in files outside its folder (each read is announced); without it such a file is refused with the list')
    .addOption(new Option('--log-format <format>', 'connection log format on stdout').choices(['json', 'text']).default('text'))
    .action(async (file: string | undefined, options: RunOptions) => {
      // Listen for SIGINT/SIGTERM before anything starts: a signal sent as soon as `ready` is read
      // must stop the tunnel cleanly (records removed, exit 0), not kill it with Node's default.
      const signalled = context.untilSignal();
      const print = eventPrinter(options.logFormat);
      let config: TunnelConfig;
      let tunnel: RunningTunnel;
      try {
        config = withPorts(await resolveConfig(file, options, context, print), options);
        await warnRisks(config, print);
        // The engine is loaded when a tunnel starts, not at every start of the CLI (`--help`).
        const [{ Tunnel }, { recordingStarter, RunningTunnels }, { defaultDataDir }, { tuneGcForStreaming }] = await Promise.all([
          import('../../core/tunnel/tunnel.ts'),
          import('../../core/service/runningTunnels.ts'),
          import('../../core/profiles/storeFiles.ts'),
          import('../../core/service/gcTuning.ts'),
        ]);
        tuneGcForStreaming();
        const start = recordingStarter((tunnelConfig, tunnelOptions) => Tunnel.start(tunnelConfig, tunnelOptions), new RunningTunnels(defaultDataDir()));
        tunnel = await start(config, { onEvent: print });
      } catch (error) {
        // A profile that cannot be used is bad input: exit 2 before `ready`. A keychain that cannot
        // answer is a runtime failure of this machine, not of the input: exit 1.
        if (error instanceof AppError) throw new CliExit(error.code.startsWith('KEYCHAIN_') ? 1 : 2, `${error.code}: ${error.message}`);
        throw error;
      }
      const signal = await signalled;
      // Ctrl-C is answered, not met with silence: what is being closed, then that it is done. With
      // --log-format json stdout stays JSON, so these are events there.
      const { openConnections } = tunnel.status();
      if (options.logFormat === 'json') process.stdout.write(`${JSON.stringify({ event: 'stopping', signal, openConnections })}\n`);
      else process.stderr.write(`pulsar-tunnel: stopping (${signal}): closing ${openConnections} ${openConnections === 1 ? 'connection' : 'connections'}…\n`);
      await tunnel.dispose();
      if (options.logFormat === 'json') process.stdout.write(`${JSON.stringify({ event: 'stopped' })}\n`);
      else process.stderr.write('pulsar-tunnel: stopped\n');
    });
}
