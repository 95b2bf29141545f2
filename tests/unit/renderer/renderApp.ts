/** Renders the whole app over the in-memory FakeTunnelApi, for the renderer tests. */
import { fireEvent, render, screen } from '@testing-library/svelte';
import type { StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import App from '../../../src-renderer/App.svelte';
import { FakeTunnelApi } from '../../../src-renderer/lib/fakeApi.ts';

export const prod: StoredProfileInput = { name: 'prod', serviceUrl: 'pulsar+ssl://pulsar.prod.test:6651', proxyServiceUrl: 'pulsar+ssl://proxy.test:4443', proxyProtocol: 'SNI', listen: { port: 0 } };

/** A PEM-looking certificate block the fake summarises by its CN. */
export const pem = (cn: string) => `-----BEGIN CERTIFICATE-----\nMIIB${cn}CN=${cn}\n-----END CERTIFICATE-----\n`;

/** Renders the app; log frames run when the test calls flush(). `statusPollMs` 0 turns the poll off. */
export async function renderApp(profiles: StoredProfileInput[] = [prod], statusPollMs = 0, logStorage: Pick<Storage, 'getItem' | 'setItem'> = memoryStorage()) {
  const api = new FakeTunnelApi(profiles);
  const frames: (() => void)[] = [];
  const result = render(App, { props: { api, statusPollMs, logOptions: { schedule: (apply: () => void) => void frames.push(apply), storage: logStorage } } });
  if (profiles.length > 0) await screen.findByTestId(`profile-item-${profiles[0]!.name}`);
  const flush = () => {
    for (const apply of frames.splice(0)) apply();
  };
  return { api, flush, ...result };
}

/** A Storage in memory, so one test's remembered log clear never reaches another. */
export function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> {
  const items = new Map<string, string>();
  return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
}

/** Types into a field the way the form sees it: input, then blur. */
export async function type(element: HTMLElement, value: string) {
  await fireEvent.input(element, { target: { value } });
  await fireEvent.blur(element);
}
