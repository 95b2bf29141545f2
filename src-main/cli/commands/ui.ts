/**
 * `pulsar-tunnel ui [--port N] [--no-open]`: serves the app's UI and API on 127.0.0.1 for a
 * browser, with a random per-start token in the printed URL. Tunnels started from the page run in
 * this process and stop with it (Ctrl-C).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { OwnedAppService } from '../../core/app/createAppService.ts';
import { openBrowser } from '../../host/openBrowser.ts';
import { ensureRendererBuild } from '../../host/rendererBuild.ts';
import { startWebHost } from '../../host/webHost.ts';
import { CliExit } from '../context.ts';
import type { CliContext } from '../context.ts';

/** What the ui command needs besides the CLI context; tests inject their own. */
export interface UiDependencies {
  createService(): Promise<OwnedAppService>;
  openBrowser(url: string): Promise<boolean>;
  rendererDir(log: (line: string) => void): Promise<string>;
  /** Where the URL and progress lines go; stdout by default. */
  print(line: string): void;
}

const defaultDependencies: UiDependencies = {
  async createService() {
    // Loaded on use, so `pulsar-tunnel --help` does not open the store or load the engine.
    const { createAppService } = await import('../../core/app/createAppService.ts');
    return createAppService();
  },
  openBrowser,
  rendererDir: (log) => ensureRendererBuild({ log }),
  print: (line) => void process.stdout.write(`${line}\n`),
};

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return port;
}

/** Registers `ui` on the program. */
export function registerUiCommand(program: Command, ctx: CliContext, dependencies: Partial<UiDependencies> = {}): void {
  const deps = { ...defaultDependencies, ...dependencies };
  program
    .command('ui')
    .description('Serve the app UI on 127.0.0.1 for a browser (headless machines, containers, dev VMs)')
    .option('--port <port>', 'local port (0 picks a free one)', parsePort, 0)
    .option('--no-open', 'do not open a browser, only print the URL')
    .action(async (options: { port: number; open: boolean }) => {
      let rendererDir: string;
      try {
        rendererDir = await deps.rendererDir((line) => process.stderr.write(`${line}\n`));
      } catch (error) {
        throw new CliExit(1, (error as Error).message);
      }
      const owned = await deps.createService();
      try {
        const host = await startWebHost({ api: owned.service, rendererDir, port: options.port });
        try {
          deps.print(`pulsar-tunnel UI: ${host.url}`);
          deps.print('Keep this URL private: its token lets a browser start and stop your tunnels. Ctrl-C stops the UI and its tunnels.');
          if (options.open && !(await deps.openBrowser(host.url))) deps.print('(no browser could be opened here: open the URL above yourself)');
          await ctx.untilSignal();
        } finally {
          await host.close();
        }
      } finally {
        await owned.dispose();
      }
    });
}
