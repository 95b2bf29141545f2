/**
 * The Doctor's runner: records each step's outcome (ok, warning, failed, skipped) with its timing,
 * skips every step after the first failure, and assembles the report with every step once, in order.
 * The checks themselves are in doctor.ts and doctorChecks.ts; the fixes in doctorFixes.ts.
 */
import { AppError } from '../../../shared/errors.ts';
import { doctorStepNames, type DoctorStep, type DoctorStepName, type DoctorStepStatus } from '../../../shared/model/doctor.ts';
import { fixFor, withFix, type FixContext } from './doctorFixes.ts';

/** Each step's title, as the report shows it. */
export const titles: Record<DoctorStepName, string> = {
  profile: 'Profile is valid',
  dns: 'Proxy host resolves',
  tcp: 'TCP connection to the proxy',
  tls: 'TLS handshake with the service name (SNI)',
  certificate: 'Certificate chain and name',
  clientCertificate: 'Client certificate accepted',
  pulsarConnect: 'Pulsar CONNECT / CONNECTED',
  lookup: 'Topic lookup',
  brokerConnect: 'Connection to the broker the lookup named',
  brokers: 'Every known broker reachable',
  idleTimeout: 'Proxy idle timeout',
};

/** What a step's body returns: its status (ok unless said), what it found, and for a warning its code and fix. */
export interface StepOutcome {
  status?: DoctorStepStatus;
  detail: string;
  facts?: DoctorStep['facts'];
  code?: string;
  fix?: string;
}

/** A failure of a step: an AppError plus facts found on the way. */
export class StepFailure extends Error {
  readonly error: AppError;
  readonly facts: DoctorStep['facts'];
  constructor(error: AppError, facts?: DoctorStep['facts']) {
    super(error.message);
    this.error = error;
    this.facts = facts;
  }
}

/** Runs the steps and records them. */
export class DoctorRun {
  readonly steps: DoctorStep[] = [];
  readonly #onStep: ((step: DoctorStep) => void) | undefined;
  #failed: DoctorStepName | undefined;

  constructor(onStep: ((step: DoctorStep) => void) | undefined) {
    this.#onStep = onStep;
  }

  get failed(): DoctorStepName | undefined {
    return this.#failed;
  }

  record(step: DoctorStep): DoctorStep {
    this.steps.push(step);
    if (step.status === 'failed') this.#failed ??= step.name;
    this.#onStep?.(step);
    return step;
  }

  skip(name: DoctorStepName, detail: string): void {
    this.record({ name, title: titles[name], status: 'skipped', durationMs: 0, detail });
  }

  /** Skips an optional step that was not asked for, or says it did not run after a failure. */
  skipOptional(name: DoctorStepName, reason: string): void {
    this.skip(name, this.#failed ? `Not run: the step "${titles[this.#failed]}" failed.` : reason);
  }

  fail(name: DoctorStepName, started: number, error: unknown, fixContext: FixContext, facts?: DoctorStep['facts']): void {
    const failure = error instanceof StepFailure ? error : undefined;
    const appError = failure?.error ?? (error instanceof AppError ? error : new AppError('TUNNEL_INTERNAL', `Unexpected: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
    const mergedFacts = { ...facts, ...failure?.facts };
    this.record({
      name,
      title: titles[name],
      status: 'failed',
      durationMs: Date.now() - started,
      detail: appError.message,
      code: appError.code,
      ...withFix(fixFor(appError.code, fixContext)),
      ...(Object.keys(mergedFacts).length > 0 ? { facts: mergedFacts } : {}),
    });
  }

  /**
   * Runs one step unless an earlier one failed; a thrown error fails it. `measuredMs`: the time of
   * work done before the step reports (the CONNECT), counted in its duration.
   */
  async run(
    name: DoctorStepName,
    fixContext: FixContext,
    body: () => Promise<StepOutcome>,
    measuredMs = 0,
  ): Promise<boolean> {
    if (this.#failed) {
      this.skip(name, `Not run: the step "${titles[this.#failed]}" failed.`);
      return false;
    }
    const started = Date.now() - measuredMs;
    try {
      const outcome = await body();
      this.record({ name, title: titles[name], status: outcome.status ?? 'ok', durationMs: Date.now() - started, ...outcome });
      return outcome.status !== 'failed';
    } catch (error) {
      this.fail(name, started, error, fixContext);
      return false;
    }
  }
}

/** Every step of `doctorStepNames` exactly once, in order: the recorded one, or skipped when never reached. */
export function allSteps(recorded: readonly DoctorStep[]): DoctorStep[] {
  const byName = new Map(recorded.map((step) => [step.name, step]));
  return doctorStepNames.map((name) => byName.get(name) ?? { name, title: titles[name], status: 'skipped' as const, durationMs: 0, detail: 'Not run.' });
}
