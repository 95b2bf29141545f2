// @vitest-environment happy-dom
// With the OS keychain unreachable (no D-Bus session), the new-profile form says so before a token
// is typed, creates nothing half-made, and the Tunnel tab of a token profile without a token says
// KEYCHAIN_UNAVAILABLE (as Start and the Doctor do), not "no token is set". The keychain's message
// carries its advice, so the catalog sentence is not added after it.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.ts';
import { renderApp, type } from './renderApp.ts';

const unavailable = () =>
  new AppError('KEYCHAIN_UNAVAILABLE', 'pulsar-tunnel could not reach the OS keychain, so storing the token failed (no D-Bus). Run it inside dbus-run-session (README: "Headless machines").');

describe('without a reachable OS keychain', () => {
  it('warns on the new-profile form before a token is typed', async () => {
    const { api } = await renderApp([]);
    api.keychainError = unavailable();
    await fireEvent.click(screen.getByTestId('profile-new'));
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'token' } });
    const warning = await screen.findByTestId('keychain-unavailable');
    expect(warning.textContent).toContain('The OS keychain cannot be reached');
    expect(warning.textContent).toContain('KEYCHAIN_UNAVAILABLE');
    expect(screen.getByTestId('field-token')).toBeTruthy();
  });

  it('does not create the profile when its token cannot be stored, and says why once', async () => {
    const { api } = await renderApp([]);
    api.keychainError = unavailable();
    await fireEvent.click(screen.getByTestId('profile-new'));
    await type(screen.getByTestId('field-name'), 'company');
    await type(screen.getByTestId('field-serviceUrl'), 'pulsar+ssl://pulsar.test:6651');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'token' } });
    await fireEvent.input(screen.getByTestId('field-token'), { target: { value: 'eyJ.company.token' } });
    await fireEvent.click(screen.getByTestId('profile-save'));

    const error = await screen.findByTestId('profile-save-error');
    expect(error.textContent).toContain('KEYCHAIN_UNAVAILABLE');
    expect(screen.getByTestId('profile-not-created').textContent).toContain('company was not created');
    expect(await api.listProfiles()).toEqual([]);
    expect(api.calls.some((call) => call.method === 'runDoctor')).toBe(false);
    // The advice is said once: the message, without the catalog's sentence after it.
    expect(error.querySelector('.hint')).toBeNull();
    expect(screen.queryByTestId('profile-form')).toBeTruthy();
  });

  it('takes back a profile whose token failed to store after it was created', async () => {
    const { api } = await renderApp([]);
    await fireEvent.click(screen.getByTestId('profile-new'));
    await type(screen.getByTestId('field-name'), 'company');
    await type(screen.getByTestId('field-serviceUrl'), 'pulsar+ssl://pulsar.test:6651');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'token' } });
    await fireEvent.input(screen.getByTestId('field-token'), { target: { value: 'eyJ.company.token' } });
    // The keychain answered the check, then failed the write (a keyring that stopped in between).
    api.failNext('setSecret', unavailable());
    await fireEvent.click(screen.getByTestId('profile-save'));

    await screen.findByTestId('profile-save-error');
    expect(screen.getByTestId('profile-not-created').textContent).toContain('company was not created');
    await waitFor(async () => expect(await api.listProfiles()).toEqual([]));
  });

  it('says KEYCHAIN_UNAVAILABLE on the Tunnel tab of a token profile without a token', async () => {
    const { api } = await renderApp([
      { name: 'a-plain', serviceUrl: 'pulsar+ssl://plain.test:6651' },
      { name: 'company', serviceUrl: 'pulsar+ssl://pulsar.test:6651', auth: 'token' },
    ]);
    api.keychainError = unavailable();
    await fireEvent.click(screen.getByTestId('profile-item-company'));
    const panel = await screen.findByTestId('tunnel-keychain-unavailable');
    expect(panel.textContent).toContain('KEYCHAIN_UNAVAILABLE');
    expect(screen.queryByTestId('tunnel-token-missing')).toBeNull();
  });
});
