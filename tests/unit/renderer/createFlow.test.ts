// @vitest-environment happy-dom
// One create flow: cluster, CA (file or paste), token, then "Test connection" runs the Doctor on the
// unsaved form before Create stores the profile and its token; the Tunnel tab says when a needed token is missing.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { pem, renderApp, type } from './renderApp.ts';

describe('creating a profile in one go', () => {
  it('tests the unsaved form (CA from a chosen file, the typed token for that run only), then creates the profile and stores the token', async () => {
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

    await fireEvent.click(screen.getByTestId('profile-test'));
    await screen.findByTestId('connection-test-summary');
    expect(screen.getByTestId('connection-test-scope').textContent).toMatch(/settings in this form, which are not saved/);
    const tested = api.calls.find((call) => call.method === 'runDoctorOnDraft')?.args as [{ name: string; tlsTrustCertsPem?: string }, { token?: string }];
    expect(tested[0]).toMatchObject({ name: 'fresh' });
    expect(tested[0].tlsTrustCertsPem).toContain('CN=Fresh-CA');
    expect(tested[1]).toEqual({ token: '<redacted>' });
    expect(api.calls.some((call) => call.method === 'saveProfile' || call.method === 'setSecret')).toBe(false);

    await fireEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => expect(api.calls.some((call) => call.method === 'saveProfile')).toBe(true));
    await waitFor(() => expect(api.calls.filter((call) => call.method === 'setSecret').map((call) => call.args)).toEqual([['fresh', 'token', '<redacted>']]));
    expect(document.body.innerHTML).not.toContain('eyJ.fresh.token');
  });

  it('tests an edited profile before saving it, with its stored secrets, and says when the form changed since', async () => {
    const { api } = await renderApp([{ name: 'edit-me', serviceUrl: 'pulsar+ssl://edit.test:6651', auth: 'token' }]);
    await fireEvent.click(screen.getByTestId('tab-settings'));
    await type(screen.getByTestId('field-connectionTimeoutMs'), '5000');
    await fireEvent.click(screen.getByTestId('profile-test'));
    await screen.findByTestId('connection-test-summary');
    const [input, options] = api.calls.find((call) => call.method === 'runDoctorOnDraft')!.args as [{ connectionTimeoutMs: number }, { previousName?: string; token?: string }];
    expect(input.connectionTimeoutMs).toBe(5000);
    expect(options).toEqual({ previousName: 'edit-me' });
    expect(screen.getByTestId('connection-test-scope').textContent).toContain('the token and keys come from the keychain');
    expect(api.calls.some((call) => call.method === 'saveProfile')).toBe(false);
    await type(screen.getByTestId('field-connectionTimeoutMs'), '6000');
    expect(screen.getByTestId('connection-test-stale').textContent).toContain('The form changed since');
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

  it('keeps the topic of each profile while the user opens another profile or the new-profile form', async () => {
    await renderApp([
      { name: 'first', serviceUrl: 'pulsar+ssl://first.test:6651' },
      { name: 'second', serviceUrl: 'pulsar+ssl://second.test:6651' },
    ]);
    await fireEvent.click(screen.getByTestId('profile-item-first'));
    await fireEvent.click(screen.getByTestId('tab-doctor'));
    await fireEvent.input(screen.getByTestId('doctor-topic'), { target: { value: 'persistent://public/default/first-topic' } });
    await fireEvent.click(screen.getByTestId('profile-item-second'));
    await fireEvent.click(screen.getByTestId('tab-doctor'));
    expect((screen.getByTestId('doctor-topic') as HTMLInputElement).value).toBe('');
    await fireEvent.click(screen.getByTestId('profile-new'));
    await fireEvent.click(screen.getByTestId('profile-cancel'));
    await fireEvent.click(screen.getByTestId('profile-item-first'));
    await fireEvent.click(screen.getByTestId('tab-doctor'));
    expect((screen.getByTestId('doctor-topic') as HTMLInputElement).value).toBe('persistent://public/default/first-topic');
  });
});
