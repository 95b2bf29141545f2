// @vitest-environment happy-dom
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.ts';
import type { DoctorReport } from '../../../shared/model/doctor.ts';
import type { StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import App from '../../../src-renderer/App.svelte';
import { fakeDoctorReport, FakeTunnelApi } from '../../../src-renderer/lib/fakeApi.ts';

const prod: StoredProfileInput = { name: 'prod', serviceUrl: 'pulsar+ssl://pulsar.prod.test:6651', proxyServiceUrl: 'pulsar+ssl://proxy.test:4443', proxyProtocol: 'SNI', listen: { port: 0 } };

async function openDoctor(api: FakeTunnelApi) {
  render(App, { props: { api, statusPollMs: 0 } });
  await screen.findByTestId('profile-item-prod');
  await fireEvent.click(screen.getByTestId('tab-doctor'));
  return screen.getByTestId('doctor-panel');
}

/** A report that stopped at the TLS step with an alert 40. */
function noRouteReport(): DoctorReport {
  const report = fakeDoctorReport('prod', 'pulsar.prod.test');
  const steps = report.steps.map((step, index) => {
    if (step.name === 'tls') {
      return { ...step, status: 'failed' as const, durationMs: 3, detail: 'The proxy refused the TLS handshake (alert 40).', code: 'PROXY_NO_ROUTE', fix: "Add a route:\n- fqdn: 'pulsar.prod.test'" };
    }
    return index > 3 ? { ...step, status: 'skipped' as const, durationMs: 0, detail: 'Not run.' } : step;
  });
  return { ...report, ok: false, failedStep: 'tls', steps };
}

describe('Doctor view', () => {
  it('runs the Doctor with the topic and idle check chosen and shows every step with its timing', async () => {
    const api = new FakeTunnelApi([prod]);
    const panel = await openDoctor(api);
    await fireEvent.input(within(panel).getByTestId('doctor-topic'), { target: { value: ' my-topic ' } });
    await fireEvent.click(within(panel).getByTestId('doctor-idle-check'));
    await fireEvent.click(within(panel).getByTestId('doctor-run'));
    const summary = await screen.findByTestId('doctor-summary');
    expect(summary.textContent).toMatch(/All checks passed in 42 ms/);
    expect(api.calls.find((call) => call.method === 'runDoctor')?.args).toEqual(['prod', { topic: 'my-topic', idleCheck: true }]);
    expect(screen.getByTestId('doctor-step-tls').dataset.status).toBe('ok');
    expect(screen.getByTestId('doctor-step-tls-ms').textContent).toBe('4 ms');
    expect(screen.getByTestId('doctor-step-lookup').dataset.status).toBe('ok');
    expect(screen.getByTestId('doctor-step-clientCertificate').dataset.status).toBe('skipped');
    expect(screen.getByTestId('doctor-config-atsSniYaml').textContent).toContain("fqdn: 'pulsar.prod.test'");
    expect(screen.getByRole('button', { name: 'Copy ATS sni.yaml' })).toBeTruthy();
  });

  it('shows the failed step with its code and what to do', async () => {
    const api = new FakeTunnelApi([prod]);
    api.doctorReport = noRouteReport();
    const panel = await openDoctor(api);
    await fireEvent.click(within(panel).getByTestId('doctor-run'));
    const summary = await screen.findByTestId('doctor-summary');
    expect(summary.textContent).toMatch(/Stopped at “tls” after/);
    const step = screen.getByTestId('doctor-step-tls');
    expect(step.dataset.status).toBe('failed');
    expect(step.textContent).toContain('PROXY_NO_ROUTE');
    expect(screen.getByTestId('doctor-step-tls-fix').textContent).toContain("- fqdn: 'pulsar.prod.test'");
    expect(screen.getByTestId('doctor-step-pulsarConnect').dataset.status).toBe('skipped');
  });

  it('shows the engine error when the Doctor cannot run', async () => {
    const api = new FakeTunnelApi([prod]);
    api.failNext('runDoctor', new AppError('API_UNREACHABLE'));
    const panel = await openDoctor(api);
    await fireEvent.click(within(panel).getByTestId('doctor-run'));
    const error = await screen.findByTestId('doctor-error');
    expect(error.textContent).toContain('API_UNREACHABLE');
    await waitFor(() => expect((within(panel).getByTestId('doctor-run') as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByTestId('doctor-summary')).toBeNull();
  });
});
