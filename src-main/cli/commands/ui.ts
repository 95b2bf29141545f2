/**
 * `pulsar-tunnel ui [--port N] [--no-open] [--in-process]`: serves the app's UI and API on 127.0.0.1
 * for a browser, with a random per-start token in the printed URL. Tunnels started from the page
 * run in an engine child process (restarted with its tunnels if it dies; in this process with
 * --in-process) and stop with the UI (Ctrl-C).
 */
import type { Command } from 'commander';
import type { ServeUiOptions } from '../../host/serveUi.ts';
import { CliExit } from '../context.ts';
import type { CliContext } from '../context.ts';
import { listenPortOption } from '../portOption.ts';

/** What tests may replace (the service, the renderer build, the browser, the output). */
export type UiDependencies = Pick<ServeUiOptions, 'createService' | 'rendererDir' | 'openBrowser' | 'print'>;

/** Registers `ui` on the program. */
export function registerUiCommand(program: Command, ctx: CliContext, dependencies: UiDependencies = {}): void {
  program
    .command('ui')
    .description('serve the app UI on 127.0.0.1 for a browser (headless machines, containers, dev VMs)')
    .option('--port <port>', 'local port (0 picks a free one)', listenPortOption, 0)
    .option('--no-open', 'do not open a browser, only print the URL')
    .option('--in-process', "run the tunnels in the UI's own process (one process, less memory; the API then waits on the data path)")
    .action(async (options: { port: number; open: boolean; inProcess?: boolean }) => {
      // The web host (and ws) is loaded when the command runs, not at every start of the CLI.
      const { serveUi } = await import('../../host/serveUi.ts');
      try {
        await serveUi({ ...dependencies, port: options.port, open: options.open, inProcess: options.inProcess === true, until: ctx.untilSignal() });
      } catch (error) {
        // The renderer build failing is a plain Error saying which command to run.
        if (error instanceof Error && error.name === 'Error') throw new CliExit(1, error.message);
        throw error;
      }
    });
}
