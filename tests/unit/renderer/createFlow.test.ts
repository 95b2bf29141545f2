// @vitest-environment happy-dom
// One create flow: cluster, CA (file or paste), token into the keychain, then "Create and test
// connection" runs the Doctor on the new profile; the Tunnel tab says when a needed token is missing.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { pem, renderApp, type } from './renderApp.ts';

describe('creating a profile in one go', () => {
  it('takes the CA from a chosen file and the token, creates the profile, stores the token and runs the Doctor', async () => {
    const { api } = await renderApp([]);
    await fireEvent.click(screen.getByTestId('profile-new'));
    expect(document.activeElement).toBe(screen.getByTestId('field-name'));
    await type(screen.getByTestId('field-name'), 'fresh');
    await type(screen.getByTestId('field-serviceUrl'), 'pulsar+ssl://fresh.test:6651');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'token' } });
    await fireEvent.input(screen.getByTestId('field-token'), { target: { value: 'eyJ.fresh.token' } });
    const caFile = screen.getByTestId('new-ca-file') as HTMLInputElement;
    Object.defineProperty(caFile, 'files', { value: [new File([pem('Fresh-CA')], 'ca.pem')], configurable: true });
    await fireEvent.change(caFile);
    await waitFor(() => expect(screen.getByTestId('new-ca-set').textContent).toContain('1 certificate'));
    await fireEvent.click(screen.getByTestId('profile-create-test'));

    await screen.findByTestId('doctor-summary');
    const saved = api.calls.find((call) => call.method === 'saveProfile')?.args[0] as { tlsTrustCertsPem?: string };
    expect(saved.tlsTrustCertsPem).toContain('CN=Fresh-CA');
    expect(api.calls.filter((call) => call.method === 'setSecret').map((call) => call.args)).toEqual([['fresh', 'token', '<redacted>']]);
    expect(api.calls.some((call) => call.method === 'runDoctor')).toBe(true);
    expect(screen.getByTestId('tab-doctor').getAttribute('aria-selected')).toBe('true');
    expect(document.body.innerHTML).not.toContain('eyJ.fresh.token');
  });

  it('keeps the advanced fields folded for a new profile', async () => {
    await renderApp([]);
    await fireEvent.click(screen.getByTestId('profile-new'));
    expect((screen.getByTestId('profile-advanced') as HTMLDetailsElement).open).toBe(false);
  });

  it('says on the Tunnel tab that a token profile has no token, and leads to where it is set', async () => {
    await renderApp([{ name: 'needs-token', serviceUrl: 'pulsar+ssl://t.test:6651', auth: 'token' }]);
    expect(screen.getByTestId('tunnel-token-missing').textContent).toContain('No token is set');
    await fireEvent.click(screen.getByTestId('tunnel-set-token'));
    expect(screen.getByTestId('secret-token-status').textContent).toBe('not set');
  });
});

describe('the Doctor tab', () => {
  it('keeps the topic typed and the last report while the user looks at another tab', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('tab-doctor'));
    await fireEvent.input(screen.getByTestId('doctor-topic'), { target: { value: 'persistent://public/default/orders' } });
    await fireEvent.click(screen.getByTestId('doctor-run'));
    await screen.findByTestId('doctor-summary');
    await fireEvent.click(screen.getByTestId('tab-tunnel'));
    await fireEvent.click(screen.getByTestId('tab-doctor'));
    expect((screen.getByTestId('doctor-topic') as HTMLInputElement).value).toBe('persistent://public/default/orders');
    expect(screen.getByTestId('doctor-summary')).toBeTruthy();
  });
});
