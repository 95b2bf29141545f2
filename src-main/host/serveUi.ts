/**
 * Runs the web UI until told to stop: builds the renderer if needed, opens the app service over
 * the shared profile store, starts the web host, prints its URL and opens a browser. Used by
 * `pulsar-tunnel ui` and by `npm start` when Electron cannot run.
 */
import type { OwnedAppService } from '../core/service/createAppService.ts';
import { openBrowser as defaultOpenBrowser } from './openBrowser.ts';
import { ensureRendererBuild } from './rendererBuild.ts';
import { startWebHost } from './webHost.ts';

/** How long the printed one-time link stays usable. */
export const printedLinkTtlMs = 60 * 60_000;

/** Options of {@link serveUi}. */
export interface ServeUiOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Run the tunnels in this process instead of an engine child process. */
  inProcess?: boolean;
  /**
   * The script that runs the `pulsar-tunnel` CLI, forked with `engine` for the engine process.
   * Defaults to this process's own entry (`process.argv[1]`), right for `pulsar-tunnel ui`; a caller
   * whose entry is not the CLI (`npm start`'s bin/start.mjs) must name the CLI's entry, or the
   * fork would start that caller again instead of an engine.
   */
  engineEntry?: string;
  /** Open a browser on the URL (when this machine has one). */
  open?: boolean;
  /** Resolves when the UI should stop (e.g. on SIGINT). */
  until: Promise<unknown>;
  /** Where the URL and hints go. */
  print?: (line: string) => void;
  /** Progress lines (the renderer build). */
  log?: (line: string) => void;
  /**
   * The app service. By default its tunnels run in a child process (the CLI's hidden `engine`
   * command), restarted with its tunnels if it dies, so the UI's API never waits on the data path.
   */
  createService?: () => Promise<OwnedAppService>;
  rendererDir?: (log: (line: string) => void) => Promise<string>;
  openBrowser?: (url: string) => Promise<boolean>;
}

/**
 * Serves the UI until `options.until` resolves, then closes the host and stops every tunnel.
 * @throws Error from the renderer build (naming the command to run); AppError TUNNEL_LISTEN_IN_USE
 *   when the port is taken; PROFILE_UNREADABLE when the store cannot be opened.
 */
export async function serveUi(options: ServeUiOptions): Promise<void> {
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const rendererDir = await (options.rendererDir ?? ((progress) => ensureRendererBuild({ log: progress })))(log);
  const createService =
    options.createService ??
    (async () => {
      // Loaded on use, so importing this module does not load the engine.
      const [{ createAppService }, { forkEngine }] = await Promise.all([import('../core/service/createAppService.ts'), import('./engineProcess.ts')]);
      if (options.inProcess) return createAppService();
      // The CLI's entry script: the engine runs the way this CLI runs (sources or build).
      const entry = options.engineEntry ?? process.argv[1]!;
      return createAppService({
        spawnEngine: () => forkEngine(entry),
        // The engine runs the CLI's build (or its sources): that build is what a missing file asks for.
        engine: { buildCommand: 'npm run build:cli', onCannotStart: (error) => log(`pulsar-tunnel: ${error.message}`) },
      });
    });
  const owned = await createService();
  try {
    const host = await startWebHost({ api: owned.service, rendererDir, port: options.port ?? 0 });
    try {
      // Two one-time links: the printed one (stdout is the user's own) stays usable for an hour;
      // the browser opener's, readable by every local user in `ps`, for a minute.
      print(`pulsar-tunnel UI: ${host.openUrl(printedLinkTtlMs)}`);
      print('This link works once (within an hour): it lets one browser tab start and stop your tunnels. Ctrl-C stops the UI and its tunnels.');
      if (options.open !== false && !(await (options.openBrowser ?? defaultOpenBrowser)(host.openUrl()))) {
        print('(no browser could be opened here: open the URL above yourself)');
      }
      const signal = await options.until;
      // No call to the service here: its engine process may be going down with the same Ctrl-C.
      log(`pulsar-tunnel: stopping${typeof signal === 'string' ? ` (${signal})` : ''}: closing the UI and its tunnels…`);
    } finally {
      await host.close();
    }
  } finally {
    await owned.dispose();
  }
  log('pulsar-tunnel: stopped');
}
