import { describe, expect, it } from 'vitest';
import { browserOpener, openBrowser } from '../../src-main/host/openBrowser.ts';

describe('browser opener', () => {
  it('uses the platform opener on macOS and Windows', () => {
    expect(browserOpener('darwin', {})).toEqual({ command: 'open', args: [] });
    expect(browserOpener('win32', {})?.command).toBe('cmd');
  });

  it('opens nothing on a Linux machine without a display (headless: the printed URL is the way in)', () => {
    expect(browserOpener('linux', {})).toBeUndefined();
    expect(browserOpener('linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(browserOpener('linux', { WAYLAND_DISPLAY: 'wayland-0' })?.command).toBe('xdg-open');
  });

  it('counts an opener that exits with an error as not opened (xdg-open with a display but no browser), and one that exits 0 as opened', async () => {
    // `sh -c 'exit N' sh URL`: an opener that takes the URL and exits as xdg-open does.
    expect(await openBrowser('http://127.0.0.1:1/', { command: 'sh', args: ['-c', 'exit 4', 'sh'] })).toBe(false);
    expect(await openBrowser('http://127.0.0.1:1/', { command: 'sh', args: ['-c', 'exit 0', 'sh'] })).toBe(true);
    expect(await openBrowser('http://127.0.0.1:1/', { command: '/nonexistent/opener', args: [] })).toBe(false);
  });
});
