/**
 * The headless entry point (`npx pulsar-tunnel`). It wires the engine to the terminal and owns the
 * process: signals, exit codes (0 ok, 1 runtime failure, 2 bad input), stderr messages.
 */
import { Command, CommanderError } from 'commander';
import { AppError } from '../../shared/errors.ts';
import { keepYoungGenerationSmall } from '../core/service/gcTuning.ts';
import { registerClientConfCommand } from './commands/clientConf.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerEngineCommand } from './commands/engine.ts';
import { registerProfilesCommands } from './commands/profiles.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerUiCommand } from './commands/ui.ts';
import { CliExit, type CliContext } from './context.ts';
import { printableLines } from './printable.ts';

// First, before a command loads its modules: `run` and `engine` are engines, whose young
// generation must stay at its starting size (gcTuning.ts); the other commands do not mind.
keepYoungGenerationSmall();

const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const name of signals) process.removeListener(name, onSignal);
      // A second signal while shutting down forces the exit.
      for (const name of signals) process.once(name, () => process.exit(1));
      resolve(signal);
    };
    for (const name of signals) process.on(name, onSignal);
  });
}

const context: CliContext = {
  untilSignal,
  async storedProfileConfig(name) {
    // Loaded on use: `--help` and the commands that need no store start without the engine.
    const { openDefaultStore } = await import('../core/profiles/store.ts');
    const store = await openDefaultStore();
    try {
      return await store.tunnelConfig(name);
    } finally {
      store.dispose();
    }
  },
};

const program = new Command('pulsar-tunnel')
  .description('Local tunnels to Apache Pulsar clusters behind an SNI-routing proxy')
  .version(process.env.npm_package_version ?? '0.1.0')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) })
  .showHelpAfterError('(run pulsar-tunnel --help for the commands)');

// Command registrations: one line per command module.
registerRunCommand(program, context);
registerProfilesCommands(program, context);
registerClientConfCommand(program, context);
registerUiCommand(program, context);
registerDoctorCommand(program, context);
registerEngineCommand(program);

function finish(status: number): void {
  // Let stdout drain (the JSON log may be piped) before exiting.
  process.stdout.write('', () => process.exit(status));
}

try {
  await program.parseAsync(process.argv);
  finish(0);
} catch (error) {
  if (error instanceof CommanderError) {
    finish(error.exitCode === 0 ? 0 : 2);
  } else if (error instanceof CliExit) {
    // Messages may quote input (a file's content, a name, a broker's answer): every control
    // character is escaped; the message's own line breaks (a list of problems) are kept.
    process.stderr.write(`pulsar-tunnel: ${printableLines(error.message)}\n`);
    finish(error.status);
  } else if (error instanceof AppError) {
    process.stderr.write(`pulsar-tunnel: ${error.code}: ${printableLines(error.message)}\n`);
    finish(1);
  } else {
    process.stderr.write(`pulsar-tunnel: unexpected error: ${printableLines((error as Error)?.stack ?? String(error))}\n`);
    finish(1);
  }
}
