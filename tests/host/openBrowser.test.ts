import { describe, expect, it } from 'vitest';
import { browserOpener } from '../../src-main/host/openBrowser.ts';

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
});
