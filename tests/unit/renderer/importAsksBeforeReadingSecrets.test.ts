// @vitest-environment happy-dom
/**
 * The app's import flow: a file that names secrets on this computer shows where each one would be
 * read from and imports only after "Read and import"; Cancel imports nothing. A profile with risky
 * settings shows them, with their codes, above its tabs.
 */
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { expect, it } from 'vitest';
import { riskCatalog } from '../../../shared/model/risks.ts';
import type { StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import App from '../../../src-renderer/App.svelte';
import { FakeTunnelApi } from '../../../src-renderer/lib/fakeApi.ts';

function renderApp(profiles: StoredProfileInput[] = []) {
  const api = new FakeTunnelApi(profiles);
  render(App, { props: { api, statusPollMs: 0, logOptions: { schedule: () => undefined } } });
  return api;
}

const conf = 'serviceUrl=pulsar+ssl://theirs.test:6651\nauthParams=env:MY_CLOUD_SECRET\n';

/** Picks the client.conf; the app first asks for the profile's name (suggesting "shared"), then imports. */
async function pickConf() {
  await fireEvent.change(screen.getByTestId('profile-import'), { target: { files: [new File([conf], 'shared.conf')] } });
  await fireEvent.click(await screen.findByTestId('import-rename'));
}

function importCalls(api: FakeTunnelApi) {
  return api.calls.filter((call) => call.method === 'importProfiles').map((call) => call.args[2]);
}

it('lists the secrets a dropped file wants to read and imports only after the user says yes', async () => {
  const api = renderApp();
  await pickConf();
  const dialog = await screen.findByTestId('secret-sources-dialog');
  expect(within(dialog).getByTestId('secret-source').textContent).toContain('The token from environment variable MY_CLOUD_SECRET');
  expect(screen.queryByTestId('profile-item-shared')).toBeNull();
  expect(importCalls(api)).toEqual([{ name: 'shared' }]);
  await fireEvent.click(within(dialog).getByTestId('secret-sources-confirm'));
  await screen.findByTestId('profile-item-shared');
  expect(importCalls(api)).toEqual([{ name: 'shared' }, { name: 'shared', readSecrets: true }]);
  expect(screen.queryByTestId('secret-sources-dialog')).toBeNull();
  // What was read stays listed above the profile (the import report), not in a passing notice.
  expect((await screen.findByTestId('import-report-secrets')).textContent).toContain('The token from environment variable MY_CLOUD_SECRET');
});

it('imports nothing when the user cancels', async () => {
  const api = renderApp();
  await pickConf();
  const dialog = await screen.findByTestId('secret-sources-dialog');
  await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel import' }));
  await waitFor(() => expect(screen.queryByTestId('secret-sources-dialog')).toBeNull());
  expect(importCalls(api)).toEqual([{ name: 'shared' }]);
  expect(screen.getByTestId('profiles-empty')).toBeTruthy();
});

it('shows a profile\'s risky settings with their codes, and none for a safe one', async () => {
  renderApp([
    { name: 'risky', serviceUrl: 'pulsar+ssl://r.test:6651', tlsAllowInsecureConnection: true, listen: { host: '0.0.0.0', allowNonLoopback: true } },
    { name: 'safe', serviceUrl: 'pulsar+ssl://s.test:6651' },
  ]);
  await fireEvent.click(await screen.findByTestId('profile-item-risky'));
  const risks = await screen.findByTestId('profile-risks');
  expect(within(risks).getByTestId('profile-risk-TLS_INSECURE_CONNECTION').textContent).toContain(riskCatalog.TLS_INSECURE_CONNECTION);
  expect(within(risks).getByTestId('profile-risk-LISTEN_NOT_LOOPBACK').textContent).toContain('listen.host "0.0.0.0"');
  await fireEvent.click(screen.getByTestId('profile-item-safe'));
  await waitFor(() => expect(screen.queryByTestId('profile-risks')).toBeNull());
});
