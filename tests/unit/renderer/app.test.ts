// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { AppError, errorCatalog } from '../../../shared/errors.ts';
import { batch, closed, opened, secured } from './events.ts';
import { pem, prod, renderApp, type } from './renderApp.ts';

describe('profiles', () => {
  it('lists each profile with its tunnel state', async () => {
    await renderApp([prod, { name: 'dev', serviceUrl: 'pulsar+ssl://dev.test:6651' }]);
    expect(screen.getByTestId('profile-state-prod').textContent).toBe('stopped');
    expect(screen.getByRole('button', { name: /^Profile dev stopped/ })).toBeTruthy();
  });

  it('shows inline errors naming the field, then creates the profile once they are fixed', async () => {
    const { api } = await renderApp([]);
    await fireEvent.click(screen.getByTestId('profile-new'));
    const serviceUrl = screen.getByTestId('field-serviceUrl');
    await type(serviceUrl, 'pulsar://plain.test:6650');
    expect(screen.getByTestId('error-serviceUrl').textContent).toMatch(/^serviceUrl: .*pulsar\+ssl:\/\//);
    expect(serviceUrl.getAttribute('aria-invalid')).toBe('true');
    await fireEvent.click(screen.getByTestId('profile-save'));
    expect(screen.getByTestId('error-name').textContent).toMatch(/^name: /);
    expect(api.calls.some((call) => call.method === 'saveProfile')).toBe(false);

    await type(screen.getByTestId('field-name'), 'typed');
    await type(serviceUrl, 'pulsar+ssl://typed.test:6651');
    await fireEvent.click(screen.getByTestId('profile-save'));
    await screen.findByTestId('profile-item-typed');
    expect(api.calls.find((call) => call.method === 'saveProfile')?.args[0]).toMatchObject({ name: 'typed', serviceUrl: 'pulsar+ssl://typed.test:6651' });
  });

  it('moves the selection with the arrow keys in the profile list', async () => {
    await renderApp([prod, { name: 'dev', serviceUrl: 'pulsar+ssl://dev.test:6651' }]);
    expect(screen.getByTestId('profile-title').textContent).toBe('dev');
    await fireEvent.keyDown(screen.getByTestId('profile-item-dev'), { key: 'ArrowDown' });
    expect(screen.getByTestId('profile-title').textContent).toBe('prod');
    expect(screen.getByTestId('profile-item-prod').getAttribute('aria-current')).toBe('true');
  });

  it('shows the engine error when saving fails', async () => {
    const { api } = await renderApp();
    api.failNext('saveProfile', new AppError('KEYCHAIN_LOCKED'));
    await fireEvent.click(screen.getByTestId('tab-settings'));
    await fireEvent.click(screen.getByTestId('profile-save'));
    const error = await screen.findByTestId('profile-save-error');
    expect(error.textContent).toContain('KEYCHAIN_LOCKED');
    expect(error.textContent).toContain('unlock it');
  });

  it('asks before deleting and says the keychain items go too', async () => {
    const { api } = await renderApp();
    await fireEvent.click(screen.getByTestId('profile-delete'));
    const dialog = screen.getByTestId('delete-dialog');
    expect(dialog.textContent).toMatch(/keychain items/);
    expect(api.calls.some((call) => call.method === 'removeProfile')).toBe(false);
    await fireEvent.click(within(dialog).getByTestId('delete-confirm'));
    await waitFor(() => expect(screen.queryByTestId('profile-item-prod')).toBeNull());
    expect(screen.getByTestId('profiles-empty')).toBeTruthy();
  });

  it('duplicates a profile under a new name', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('profile-duplicate'));
    await type(screen.getByTestId('duplicate-name'), 'prod-2');
    await fireEvent.click(screen.getByTestId('duplicate-confirm'));
    await screen.findByTestId('profile-item-prod-2');
  });

  it('imports a client.conf picked from a file', async () => {
    const { api } = await renderApp([]);
    const file = new File(['serviceUrl=pulsar+ssl://conf.test:6651\n'], 'staging.conf', { type: 'text/plain' });
    await fireEvent.change(screen.getByTestId('profile-import'), { target: { files: [file] } });
    // A client.conf has no profile name: the app asks, suggesting the file's.
    expect(((await screen.findByTestId('import-name')) as HTMLInputElement).value).toBe('staging');
    await fireEvent.click(screen.getByTestId('import-rename'));
    await screen.findByTestId('profile-item-staging');
    expect(api.calls.find((call) => call.method === 'importProfiles')?.args).toEqual(['staging.conf', 'serviceUrl=pulsar+ssl://conf.test:6651\n', { name: 'staging' }]);
  });

  it('asks for the passphrase of an encrypted bundle dropped on the window, and again when it is wrong', async () => {
    const { api } = await renderApp([]);
    const bundle = JSON.stringify({ encrypted: true, profiles: [{ name: 'secret-one', serviceUrl: 'pulsar+ssl://s.test:6651' }] });
    const file = new File([bundle], 'team.pulsar-tunnel.json', { type: 'application/json' });
    await fireEvent.drop(window, { dataTransfer: { types: ['Files'], files: [file] } });
    const dialog = await screen.findByTestId('passphrase-dialog');
    expect(within(dialog).queryByTestId('import-passphrase-error')).toBeNull();
    await fireEvent.input(within(dialog).getByTestId('import-passphrase'), { target: { value: 'wrong one' } });
    await fireEvent.click(within(dialog).getByTestId('import-passphrase-submit'));
    await screen.findByTestId('import-passphrase-error');
    await fireEvent.input(screen.getByTestId('import-passphrase'), { target: { value: api.bundlePassphrase } });
    await fireEvent.click(screen.getByTestId('import-passphrase-submit'));
    await screen.findByTestId('profile-item-secret-one');
    expect(screen.queryByTestId('passphrase-dialog')).toBeNull();
  });

  it('exports with secrets only after the passphrase was typed twice the same', async () => {
    const { api } = await renderApp();
    await fireEvent.click(screen.getByTestId('profile-export'));
    await fireEvent.click(screen.getByTestId('export-with-secrets'));
    const confirm = screen.getByTestId('export-confirm') as HTMLButtonElement;
    await fireEvent.input(screen.getByTestId('export-passphrase'), { target: { value: 'long enough' } });
    await fireEvent.input(screen.getByTestId('export-passphrase-repeat'), { target: { value: 'long enougH' } });
    expect(confirm.disabled).toBe(true);
    expect(screen.getByTestId('export-problem').textContent).toMatch(/differ/);
    await fireEvent.input(screen.getByTestId('export-passphrase-repeat'), { target: { value: 'long enough' } });
    expect(confirm.disabled).toBe(false);
    await fireEvent.click(confirm);
    await waitFor(() => expect(screen.queryByTestId('export-dialog')).toBeNull());
    expect(api.calls.find((call) => call.method === 'exportProfiles')?.args[0]).toMatchObject({ names: ['prod'], passphrase: '<redacted>' });
  });
});

describe('certificates and secrets', () => {
  it('adds a pasted CA certificate and shows its subject, fingerprint and expiry badge', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('tab-certificates'));
    expect(screen.getByTestId('ca-none')).toBeTruthy();
    await fireEvent.input(screen.getByTestId('ca-paste'), { target: { value: pem('Test-CA') } });
    await fireEvent.click(screen.getByTestId('ca-add'));
    const card = await screen.findByTestId('ca-certificate');
    expect(card.textContent).toContain('CN=Test-CA');
    expect(card.textContent).toMatch(/([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(within(card).getByTestId('expiry-badge').textContent).toMatch(/valid/);
  });

  it('stores a token from a password field and then shows only that it is set', async () => {
    const { api } = await renderApp([{ ...prod, auth: 'token' }]);
    await fireEvent.click(screen.getByTestId('tab-certificates'));
    const input = screen.getByTestId('secret-token-input') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(screen.getByTestId('secret-token-status').textContent).toBe('not set');
    await fireEvent.input(input, { target: { value: 'eyJ.super.secret' } });
    await fireEvent.click(screen.getByTestId('secret-token-save'));
    await waitFor(() => expect(screen.getByTestId('secret-token-status').textContent).toBe('set'));
    expect((screen.getByTestId('secret-token-input') as HTMLInputElement).value).toBe('');
    expect(document.body.innerHTML).not.toContain('eyJ.super.secret');
    expect(api.calls.find((call) => call.method === 'setSecret')?.args.slice(0, 2)).toEqual(['prod', 'token']);
  });
});

describe('tunnels', () => {
  it('starts and stops the selected tunnel and shows where clients connect', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('tunnel-toggle'));
    await waitFor(() => expect(screen.getByTestId('tunnel-state').textContent).toBe('running'));
    expect(screen.getByTestId('listen-pulsar').textContent).toMatch(/^127\.0\.0\.1:\d+$/);
    await waitFor(() => expect(screen.getByTestId('service-url').textContent).toMatch(/^pulsar:\/\/127\.0\.0\.1:\d+$/));
    expect(screen.getByTestId('snippet-clientConf').textContent).toContain('serviceUrl=pulsar://127.0.0.1');
    expect(screen.getByRole('button', { name: 'Stop tunnel prod' })).toBeTruthy();
    await fireEvent.click(screen.getByTestId('copy-service-url'));
    await waitFor(async () => expect(await navigator.clipboard.readText()).toMatch(/^pulsar:\/\/127\.0\.0\.1:\d+$/));
    await fireEvent.click(screen.getByTestId('tunnel-toggle'));
    await waitFor(() => expect(screen.getByTestId('tunnel-state').textContent).toBe('stopped'));
  });

  it('toggles the selected tunnel with Ctrl+Enter', async () => {
    const { api } = await renderApp();
    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(screen.getByTestId('profile-state-prod').textContent).toBe('running'));
    expect(api.calls.some((call) => call.method === 'startTunnel')).toBe(true);
  });

  it('lists per-broker local ports with the health of each broker and last error, and explains a failing tunnel once with its code', async () => {
    const { api } = await renderApp([prod], 20);
    const longMessage = `The proxy at 127.0.0.1:4443 accepted the connection for server name "broker-2.test" and closed it without a TLS answer: its route for that name points at a port where nothing listens; check the tunnel_route target and that the broker is up.`;
    api.setStatus({
      profile: 'prod', state: 'failing', listen: { pulsar: '127.0.0.1:6650' }, openConnections: 0, totalConnections: 2,
      brokers: [
        { broker: 'broker-1.test:6651', sni: 'broker-1.test', local: '127.0.0.1:41001', health: 'ok' },
        { broker: 'broker-2.test:6651', sni: 'broker-2.test', local: '127.0.0.1:41002', health: 'failing', lastError: { code: 'PROXY_ROUTE_DEAD', message: longMessage, time: '2026-11-27T00:00:00Z' } },
        { broker: 'broker-3.test:6651', sni: 'broker-3.test', local: '127.0.0.1:41003', health: 'unknown' },
      ],
      lastError: { code: 'PROXY_NO_ROUTE', message: 'The proxy has no route for broker-1.test; add it to sni.yaml', time: '2026-11-27T00:00:00Z' },
    });
    // The status poll brings the new state in.
    await waitFor(() => expect(screen.getByTestId('tunnel-state').textContent).toBe('failing'));
    const brokers = screen.getByTestId('broker-table');
    const rows = within(brokers).getAllByTestId('broker-row');
    expect(rows[0]!.textContent).toContain('127.0.0.1:41001');
    expect(within(brokers).getByRole('button', { name: 'Copy local address of broker-1.test:6651' })).toBeTruthy();
    // Health: a dot with its word, never the colour alone.
    expect(rows.map((row) => within(row).getByTestId('broker-health').textContent?.trim())).toEqual(['ok', 'failing', 'unknown']);
    // The last error: code and a short message in the row, the whole message on hover and expanded.
    const lastError = within(rows[1]!).getByTestId('broker-last-error');
    expect(within(lastError).getByTestId('broker-last-error-code').textContent).toBe('PROXY_ROUTE_DEAD');
    expect(lastError.querySelector('summary > span:last-child')!.textContent!.length).toBeLessThanOrEqual(60);
    expect(lastError.getAttribute('title')).toBe(longMessage);
    expect(within(lastError).getByTestId('broker-last-error-message').textContent).toBe(longMessage);
    expect(within(rows[0]!).queryByTestId('broker-last-error')).toBeNull();
    const error = screen.getByTestId('tunnel-last-error');
    expect(error.textContent).toContain('The proxy has no route for broker-1.test; add it to sni.yaml');
    expect(error.textContent).toContain('PROXY_NO_ROUTE');
    // Said once: the catalog's advice for the code is not printed again below the message.
    expect(error.textContent).not.toContain(errorCatalog.PROXY_NO_ROUTE);
    expect(error.querySelectorAll('p')).toHaveLength(2);
  });

  it('says so while the engine stops answering the status poll, and clears it when it answers again', async () => {
    const { api } = await renderApp([prod], 20);
    api.failNext('tunnelStatus', new AppError('API_UNREACHABLE'));
    const banner = await screen.findByTestId('engine-unreachable');
    expect(banner.textContent).toContain('API_UNREACHABLE');
    await waitFor(() => expect(screen.queryByTestId('engine-unreachable')).toBeNull());
  });

  it('says the tab\'s session ended, not that the engine stopped answering, when the host refuses the token', async () => {
    const { api } = await renderApp([prod], 20);
    // What the status poll of a tab left open across a restart of `pulsar-tunnel ui` gets.
    api.failNext('tunnelStatus', new AppError('API_UNAUTHORIZED'));
    const banner = (await screen.findByTestId('engine-unreachable')).closest('.engine-banner')!;
    expect(banner.textContent).toContain('API_UNAUTHORIZED');
    expect(banner.textContent).toContain('pulsar-tunnel ui');
    expect(banner.textContent).not.toContain('not answering');
    expect(banner.textContent).not.toContain('retrying');
  });

  it('stops polling the status once the host refuses the token, and keeps saying why', async () => {
    const { api } = await renderApp([prod], 20);
    api.failNext('tunnelStatus', new AppError('API_UNAUTHORIZED'));
    await screen.findByTestId('engine-unreachable');
    // No poll can succeed with a refused token (one per run of the host): the tab stops asking, so
    // the banner stays although the fake would answer the next poll. Twenty poll periods go by.
    const polls = api.calls.filter((call) => call.method === 'tunnelStatus').length;
    await expect(waitFor(() => expect(api.calls.filter((call) => call.method === 'tunnelStatus').length).toBeGreaterThan(polls), { timeout: 400 })).rejects.toThrow();
    expect(screen.getByTestId('engine-unreachable').textContent).toContain('API_UNAUTHORIZED');
  });

  it('shows a start failure with its code', async () => {
    const { api } = await renderApp();
    api.failNext('startTunnel', new AppError('TUNNEL_LISTEN_IN_USE', 'Port 6650 on 127.0.0.1 is already in use.'));
    await fireEvent.click(screen.getByTestId('tunnel-toggle'));
    const notice = await screen.findByTestId('notice-error');
    expect(notice.textContent).toContain('Could not start prod');
    expect(notice.textContent).toContain('Port 6650 on 127.0.0.1 is already in use.');
    expect(notice.textContent).toContain('TUNNEL_LISTEN_IN_USE');
  });
});

describe('connection log', () => {
  it('shows one row per connection with growing byte counts', async () => {
    const { api, flush } = await renderApp();
    api.emit(batch([opened(1), secured(1)]));
    flush();
    const row = await screen.findByTestId('log-row');
    expect(row.dataset.state).toBe('open');
    expect(within(row).getByTestId('log-broker').textContent).toBe('broker-1.test');
    api.emit(batch([{ event: 'connection.progress', id: 1, profile: 'prod', seq: 50, bytesUp: 300, bytesDown: 5000 } as never]));
    flush();
    await waitFor(() => expect(within(screen.getByTestId('log-row')).getByTestId('log-bytes-down').textContent).toBe('4.9 KiB'));
    api.emit(batch([closed(1, 'prod', { error: { code: 'TUNNEL_PEER_RESET', message: 'The broker reset the connection.' } })]));
    flush();
    await waitFor(() => expect(screen.getByTestId('log-row').dataset.state).toBe('failed'));
    expect(screen.getByTestId('log-error').textContent).toContain('TUNNEL_PEER_RESET');
    expect(screen.getByTestId('log-error').textContent).toContain('The broker reset the connection.');
  });

  it('explains a failed connection in the details panel once: its message and its code', async () => {
    const { api, flush } = await renderApp();
    api.emit(batch([opened(3), closed(3, 'prod', { error: { code: 'PROXY_NO_ROUTE', message: 'The proxy has no route for broker-1.test.' } })]));
    flush();
    await fireEvent.click(await screen.findByTestId('log-row-details'));
    const details = screen.getByTestId('log-details-error');
    expect(details.textContent).toContain('The proxy has no route for broker-1.test.');
    expect(details.textContent).not.toContain(errorCatalog.PROXY_NO_ROUTE);
    expect(details.textContent).toContain('PROXY_NO_ROUTE');
    await fireEvent.click(screen.getByTestId('log-details-close'));
    expect(screen.queryByTestId('log-details')).toBeNull();
  });

  it('renders only the rows in view of 10,000 and counts what the engine dropped', async () => {
    const { api, flush } = await renderApp();
    api.emit(batch(Array.from({ length: 10_000 }, (_, i) => opened(i + 1)), 17));
    flush();
    await waitFor(() => expect(screen.getByTestId('log-counts').textContent).toContain('10000 of 10000 rows'));
    const rendered = screen.getAllByTestId('log-row');
    expect(rendered.length).toBeGreaterThan(10);
    expect(rendered.length).toBeLessThan(100);
    expect(screen.getByTestId('log-dropped-engine').textContent).toBe('17');
  });

  it('focuses the search box with "/" and filters rows by free text', async () => {
    const { api, flush } = await renderApp();
    api.emit(batch([opened(1, 'prod', 'broker-1.test'), opened(2, 'prod', 'broker-2.test')]));
    flush();
    await waitFor(() => expect(screen.getAllByTestId('log-row')).toHaveLength(2));
    await fireEvent.keyDown(document.body, { key: '/' });
    const search = screen.getByTestId('log-search');
    expect(document.activeElement).toBe(search);
    await fireEvent.input(search, { target: { value: 'broker-2' } });
    await waitFor(() => expect(screen.getAllByTestId('log-row')).toHaveLength(1));
    expect(screen.getByTestId('log-broker').textContent).toBe('broker-2.test');
  });

  it('exports the shown rows as CSV through a download, then clears the log', async () => {
    const { api, flush } = await renderApp();
    api.emit(batch([opened(1), closed(1)]));
    flush();
    await screen.findByTestId('log-row');
    const downloads: { name: string; href: string }[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      downloads.push({ name: this.download, href: this.href });
    });
    try {
      await fireEvent.click(screen.getByTestId('log-export-csv'));
    } finally {
      click.mockRestore();
    }
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.name).toMatch(/^connections-.*\.csv$/);
    expect(downloads[0]!.href).toMatch(/^blob:/);
    await fireEvent.click(screen.getByTestId('log-clear'));
    await waitFor(() => expect(screen.queryByTestId('log-row')).toBeNull());
    expect(screen.getByTestId('log-empty')).toBeTruthy();
  });

  it('pauses and resumes the live view', async () => {
    const { api, flush } = await renderApp();
    await fireEvent.click(screen.getByTestId('log-pause'));
    api.emit(batch([opened(1)]));
    flush();
    await waitFor(() => expect(screen.getByTestId('log-counts').textContent).toContain('paused, 1 new events'));
    expect(screen.queryByTestId('log-row')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Resume the live log' }));
    await screen.findByTestId('log-row');
  });

  it('gives every button, input, select and textarea an accessible name on every screen', async () => {
    const { api, flush } = await renderApp();
    api.emit(batch([opened(1), closed(1, 'prod', { error: { code: 'TUNNEL_PEER_RESET', message: 'reset' } })]));
    flush();
    const unnamed = () =>
      [...document.querySelectorAll('button, input, select, textarea')].filter((element) => {
        const label =
          element.getAttribute('aria-label') ||
          (element.id && document.querySelector(`label[for="${element.id}"]`)?.textContent?.trim()) ||
          element.closest('label')?.textContent?.trim() ||
          (element.tagName === 'BUTTON' && element.textContent?.trim());
        return !label;
      }).map((element) => element.outerHTML.slice(0, 100));
    await fireEvent.click(await screen.findByTestId('log-row-details'));
    expect(unnamed()).toEqual([]);
    for (const tab of ['tab-settings', 'tab-certificates']) {
      await fireEvent.click(screen.getByTestId(tab));
      expect(unnamed()).toEqual([]);
    }
    await fireEvent.click(screen.getByTestId('profile-export'));
    await fireEvent.click(screen.getByTestId('export-with-secrets'));
    expect(unnamed()).toEqual([]);
    await fireEvent.keyDown(screen.getByTestId('export-dialog'), { key: 'Escape' });
    expect(screen.queryByTestId('export-dialog')).toBeNull();
    await fireEvent.click(screen.getByTestId('profile-new'));
    expect(unnamed()).toEqual([]);
  });
});
