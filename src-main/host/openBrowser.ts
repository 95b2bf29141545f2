/**
 * Opens a URL in the user's browser when this machine has one, without ever failing the caller:
 * on a headless machine the printed URL is the way in.
 */
import { spawn } from 'node:child_process';

/** The opener command for this platform, or undefined when there is no desktop to open it on. */
export function browserOpener(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  // Linux and the BSDs: xdg-open needs a graphical session.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: [] };
}

/** How long an opener that has not exited yet is given before it counts as having opened the page. */
const openerGraceMs = 3_000;

/**
 * Tries to open `url`; resolves true when the opener succeeded, false otherwise. Never rejects.
 * An opener that exits with an error (xdg-open with a display but no browser: exit 3 or 4) is a
 * failure, so the caller says to open the URL by hand; one still running after a few seconds (an
 * opener that runs the browser itself) counts as a success.
 */
export function openBrowser(url: string, opener = browserOpener()): Promise<boolean> {
  if (!opener) return Promise.resolve(false);
  return new Promise((resolveOpen) => {
    try {
      const child = spawn(opener.command, [...opener.args, url], { stdio: 'ignore', detached: true });
      const grace = setTimeout(() => {
        child.unref();
        resolveOpen(true);
      }, openerGraceMs);
      grace.unref();
      child.once('error', () => {
        clearTimeout(grace);
        resolveOpen(false);
      });
      child.once('exit', (code) => {
        clearTimeout(grace);
        resolveOpen(code === 0);
      });
    } catch {
      resolveOpen(false);
    }
  });
}
