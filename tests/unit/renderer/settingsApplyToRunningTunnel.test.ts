// @vitest-environment happy-dom
// Saving a running profile's settings: the app says the tunnel still uses the old ones, offers a
// restart that applies them, and the Doctor says it tests the saved settings.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderApp, type } from './renderApp.ts';

describe('settings saved while the tunnel runs', () => {
  it('shows "Settings changed — restart to apply" until the tunnel is restarted', async () => {
    const { api } = await renderApp();
    await fireEvent.click(screen.getByTestId('tunnel-toggle'));
    await waitFor(() => expect(screen.getByTestId('tunnel-state').textContent).toBe('running'));
    expect(screen.queryByTestId('tunnel-pending-changes')).toBeNull();

    await fireEvent.click(screen.getByTestId('tab-settings'));
    await type(screen.getByTestId('field-proxyServiceUrl'), 'pulsar+ssl://proxy.test:5443');
    await fireEvent.click(screen.getByTestId('profile-save'));
    const banner = await screen.findByTestId('tunnel-pending-changes');
    expect(banner.textContent).toContain('Settings changed — restart to apply.');
    expect(screen.getByTestId('notice-info').textContent).toMatch(/keeps the previous settings until you restart it/);

    await fireEvent.click(screen.getByTestId('tab-doctor'));
    expect(screen.getByTestId('doctor-tests-saved').textContent).toMatch(/tests the saved settings, which the running tunnel does not use yet/);

    await fireEvent.click(screen.getByTestId('tunnel-restart'));
    await waitFor(() => expect(screen.queryByTestId('tunnel-pending-changes')).toBeNull());
    expect(api.calls.filter((call) => call.method === 'restartTunnel').map((call) => call.args)).toEqual([['prod']]);
    expect(screen.getByTestId('doctor-tests-saved').textContent?.trim()).toMatch(/^The Doctor tests the saved settings\. To test changes before saving them, use Test connection in Settings\./);
  });

  it('says nothing about a restart when the tunnel is stopped', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('tab-settings'));
    await type(screen.getByTestId('field-proxyServiceUrl'), 'pulsar+ssl://proxy.test:5443');
    await fireEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => expect(screen.getByTestId('notice-info').textContent).toContain('Saved profile prod.'));
    expect(screen.getByTestId('notice-info').textContent).not.toMatch(/restart/);
    expect(screen.queryByTestId('tunnel-pending-changes')).toBeNull();
  });
});
