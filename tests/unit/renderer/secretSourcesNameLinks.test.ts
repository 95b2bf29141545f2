// @vitest-environment happy-dom
/**
 * The confirm step of an import names where each secret would really be read from: a secret named
 * through a link shows the link and its target, and one whose link leads out of the imported file's
 * folder is flagged as such, with a warning above the list. (The engine reports `linkedFrom` and
 * `outsideFolder`; a browser import has no folder, so the end-to-end test covers the link and this
 * one the folder flag, through a fake engine answer.)
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { expect, it } from 'vitest';
import type { ImportOptions, ImportResult, SecretSource } from '../../../shared/ipc/contract.ts';
import App from '../../../src-renderer/App.svelte';
import { FakeTunnelApi } from '../../../src-renderer/lib/fakeApi.ts';

class LinkedSourcesApi extends FakeTunnelApi {
  constructor(readonly sources: SecretSource[]) {
    super([]);
  }
  override async importProfiles(fileName: string, content: string, options?: ImportOptions): Promise<ImportResult> {
    if (options?.readSecrets !== true) return { imported: [], warnings: [], secretSources: this.sources, needsConfirmation: true };
    return { ...(await super.importProfiles(fileName, content, options)), secretSources: this.sources };
  }
}

const profile = JSON.stringify({ name: 'evil', serviceUrl: 'pulsar+ssl://broker.test:6651' });

async function pick(sources: SecretSource[]) {
  render(App, { props: { api: new LinkedSourcesApi(sources), statusPollMs: 0, logOptions: { schedule: () => undefined } } });
  await fireEvent.change(screen.getByTestId('profile-import'), { target: { files: [new File([profile], 'profile.json')] } });
  return screen.findByTestId('secret-sources-dialog');
}

it('flags a secret read through a link out of the imported file\'s folder, naming the link and its target', async () => {
  const dialog = await pick([{ secret: 'token', from: 'file', name: '/home/me/secret/prod-token', linkedFrom: '/home/me/Downloads/evil/token', outsideFolder: true, field: 'authParams' }]);
  expect(within(dialog).getByTestId('secret-source-name').textContent).toBe('/home/me/secret/prod-token');
  expect(within(dialog).getByTestId('secret-source-link').textContent).toContain('/home/me/Downloads/evil/token');
  expect(within(dialog).getByTestId('secret-source-outside').textContent).toMatch(/Outside the imported file's folder/);
  expect(within(dialog).getByTestId('secret-sources-alert').textContent).toMatch(/a secret would be read from outside the imported file's folder, through a link/);
});

it('shows a plain file or variable without link or folder warnings', async () => {
  const dialog = await pick([
    { secret: 'token', from: 'env', name: 'MY_TOKEN', field: 'authParams' },
    { secret: 'clientKey', from: 'file', name: '/home/me/keys/client.key', field: 'tlsKeyFilePath' },
  ]);
  expect(within(dialog).getAllByTestId('secret-source')).toHaveLength(2);
  expect(within(dialog).queryByTestId('secret-source-link')).toBeNull();
  expect(within(dialog).queryByTestId('secret-source-outside')).toBeNull();
  expect(within(dialog).queryByTestId('secret-sources-alert')).toBeNull();
  expect(dialog.textContent).toContain('The client private key from file /home/me/keys/client.key');
});
