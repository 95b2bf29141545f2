/**
 * `pulsar-tunnel engine` (hidden): the data path of `pulsar-tunnel ui` in a process of its own,
 * forked by the UI with an IPC channel. It runs the tunnels the UI starts (core/service/tunnelHost.ts)
 * until the UI goes away; run by hand it refuses (no IPC channel).
 */
import type { Command } from 'commander';
import { CliExit } from '../context.ts';

/** Registers the hidden `engine` command on the program. */
export function registerEngineCommand(program: Command): void {
  program
    .command('engine', { hidden: true })
    .description('(internal) the engine process of `pulsar-tunnel ui`')
    .action(async () => {
      if (!process.send) throw new CliExit(2, 'pulsar-tunnel engine is started by `pulsar-tunnel ui`; run that instead.');
      // Loaded on use, so other commands do not load the engine.
      const [{ serveTunnels }, { parentEndpoint }, { lowerEnginePriority }, { tuneGcForStreaming }] = await Promise.all([
        import('../../core/service/tunnelHost.ts'),
        import('../../host/engineProcess.ts'),
        import('../../core/service/enginePriority.ts'),
        import('../../core/service/gcTuning.ts'),
      ]);
      lowerEnginePriority();
      tuneGcForStreaming();
      await serveTunnels(parentEndpoint());
    });
}
