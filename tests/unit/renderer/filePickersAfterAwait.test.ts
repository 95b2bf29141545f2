// @vitest-environment happy-dom
// Choosing a file in the CA, client certificate and client key pickers: the handlers read the file
// (an await) and then reset the <input>; the event's currentTarget is null by then, so the input
// must be taken before the await. Without that, the handler's "Cannot set properties of null" is an
// unhandled rejection, which vitest reports as an error that fails the run.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { pem, prod, renderApp } from './renderApp.ts';

/** Picks `file` in the input the way a browser does: files set, then a change event. */
async function choose(input: HTMLInputElement, file: File) {
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  await fireEvent.change(input);
}

describe('file pickers reset themselves after reading the file', () => {
  it('reads a chosen CA file into the certificate box and clears the picker without a page error', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('tab-certificates'));
    const input = screen.getByTestId('ca-file') as HTMLInputElement;
    await choose(input, new File([pem('Picked-CA')], 'ca.pem', { type: 'application/x-pem-file' }));
    await waitFor(() => expect((screen.getByTestId('ca-paste') as HTMLTextAreaElement).value).toContain('CN=Picked-CA'));
  });

  it('stores a client key chosen from a file and clears the picker without a page error', async () => {
    const { api } = await renderApp([{ ...prod, auth: 'none' }]);
    await fireEvent.click(screen.getByTestId('tab-certificates'));
    const input = screen.getByTestId('secret-clientKey-file') as HTMLInputElement;
    await choose(input, new File(['-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n'], 'client.key'));
    await waitFor(() => expect(screen.getByTestId('secret-clientKey-status').textContent).toBe('set'));
    expect(api.calls.some((call) => call.method === 'setSecret' && call.args[1] === 'clientKey')).toBe(true);
  });
});
