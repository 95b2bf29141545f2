// @vitest-environment happy-dom
// Importing into a name that exists offers Replace / Keep both / another name (never CLI flags); a
// client.conf asks for its profile's name; the passphrase dialog does not keep an old "wrong
// passphrase" once the right one was given.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { prod, renderApp, type } from './renderApp.ts';

const drop = (name: string, content: string) => fireEvent.drop(window, { dataTransfer: { types: ['Files'], files: [new File([content], name)] } });
const prodAgain = JSON.stringify({ name: 'prod', serviceUrl: 'pulsar+ssl://other.test:6651' });

describe('importing into a name that exists', () => {
  it('offers Replace, Keep both and another name; Keep both imports as prod-2', async () => {
    const { api } = await renderApp();
    await drop('prod.json', prodAgain);
    const dialog = await screen.findByTestId('import-choice-dialog');
    expect(within(dialog).getByTestId('import-choice-message').textContent).toContain('"prod" already exists');
    expect(dialog.textContent).not.toMatch(/--replace|--name/);
    expect(within(dialog).getByTestId('import-replace')).toBeTruthy();
    await fireEvent.click(within(dialog).getByTestId('import-keep-both'));
    await screen.findByTestId('profile-item-prod-2');
    expect(screen.queryByTestId('import-choice-dialog')).toBeNull();
    expect(api.calls.filter((call) => call.method === 'importProfiles').map((call) => call.args[2])).toEqual([undefined, { onConflict: 'keepBoth' }]);
    expect(screen.getByTestId('notice-info').textContent).toContain('Imported prod-2 from prod.json');
  });

  it('imports under the name typed in the dialog, and asks again if that one is taken too', async () => {
    await renderApp([prod, { name: 'taken', serviceUrl: 'pulsar+ssl://t.test:6651' }]);
    await drop('prod.json', prodAgain);
    await type(await screen.findByTestId('import-name'), 'taken');
    await fireEvent.click(screen.getByTestId('import-rename'));
    await waitFor(() => expect(screen.getByTestId('import-choice-message').textContent).toContain('"taken" already exists'));
    await type(screen.getByTestId('import-name'), 'fresh');
    await fireEvent.click(screen.getByTestId('import-rename'));
    await screen.findByTestId('profile-item-fresh');
  });

  it('replaces the existing profile', async () => {
    const { api } = await renderApp();
    await drop('prod.json', prodAgain);
    await fireEvent.click(await screen.findByTestId('import-replace'));
    await waitFor(() => expect(screen.queryByTestId('import-choice-dialog')).toBeNull());
    expect((await api.listProfiles()).map((view) => view.profile.serviceUrl)).toEqual(['pulsar+ssl://other.test:6651']);
  });

  it('after the right passphrase, a clash shows the choice and no stale "wrong passphrase"', async () => {
    const { api } = await renderApp();
    await drop('team.pulsar-tunnel.json', JSON.stringify({ encrypted: true, profiles: [JSON.parse(prodAgain)] }));
    await fireEvent.input(await screen.findByTestId('import-passphrase'), { target: { value: 'wrong one' } });
    await fireEvent.click(screen.getByTestId('import-passphrase-submit'));
    await screen.findByTestId('import-passphrase-error');
    await fireEvent.input(screen.getByTestId('import-passphrase'), { target: { value: api.bundlePassphrase } });
    await fireEvent.click(screen.getByTestId('import-passphrase-submit'));
    await screen.findByTestId('import-choice-dialog');
    expect(screen.queryByTestId('passphrase-dialog')).toBeNull();
    expect(screen.queryByTestId('import-passphrase-error')).toBeNull();
    await fireEvent.click(screen.getByTestId('import-keep-both'));
    await screen.findByTestId('profile-item-prod-2');
    // The passphrase went along with the choice.
    expect(api.calls.filter((call) => call.method === 'importProfiles').at(-1)?.args[2]).toEqual({ onConflict: 'keepBoth', passphrase: api.bundlePassphrase });
  });

  it('closes the passphrase dialog when the right passphrase meets another error, and shows that error', async () => {
    const { api } = await renderApp([]);
    await drop('team.pulsar-tunnel.json', JSON.stringify({ encrypted: true, profiles: [{ name: 'bad name!', serviceUrl: 'x' }] }));
    await fireEvent.input(await screen.findByTestId('import-passphrase'), { target: { value: api.bundlePassphrase } });
    await fireEvent.click(screen.getByTestId('import-passphrase-submit'));
    const notice = await screen.findByTestId('notice-error');
    expect(notice.textContent).toContain('IMPORT_INVALID');
    expect(screen.queryByTestId('passphrase-dialog')).toBeNull();
  });
});
