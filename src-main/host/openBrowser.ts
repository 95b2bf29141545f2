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

/** Tries to open `url`; resolves true when an opener started, false otherwise. Never rejects. */
export function openBrowser(url: string): Promise<boolean> {
  const opener = browserOpener();
  if (!opener) return Promise.resolve(false);
  return new Promise((resolveOpen) => {
    try {
      const child = spawn(opener.command, [...opener.args, url], { stdio: 'ignore', detached: true });
      child.once('error', () => resolveOpen(false));
      child.once('spawn', () => {
        child.unref();
        resolveOpen(true);
      });
    } catch {
      resolveOpen(false);
    }
  });
}
