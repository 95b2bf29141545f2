/**
 * The Doctor as the API service runs it: on a stored profile or on a form's unsaved draft, with the
 * brokers the profile's tunnels have named added to those asked for, and a profile that cannot be
 * resolved reported as a failed profile step rather than an error.
 */
import type { DoctorOptions, DoctorReport, DraftDoctorOptions } from '../../../shared/model/doctor.ts';
import type { StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { profileFailureReport, type RunDoctorOptions } from '../diagnostics/doctor.ts';
import type { KnownBrokers } from './brokerHealth.ts';
import type { AppStore } from './ports.ts';
import { toAppError } from './tunnelRun.ts';

/** Runs the Doctor's checks on a resolved configuration (the real `runDoctor`, or a test's). */
export type DoctorChecks = (config: TunnelConfig, options: RunDoctorOptions) => Promise<DoctorReport>;

/** The service's Doctor operations over its store and the brokers its tunnels named. */
export class ServiceDoctor {
  readonly #store: AppStore;
  readonly #checks: DoctorChecks;
  readonly #knownBrokers: KnownBrokers;

  constructor(store: AppStore, checks: DoctorChecks, knownBrokers: KnownBrokers) {
    this.#store = store;
    this.#checks = checks;
    this.#knownBrokers = knownBrokers;
  }

  /**
   * Runs the Doctor on a stored profile. A profile that exists but cannot be resolved (a secret
   * missing from the keychain, a locked keychain) gives a report whose profile step failed.
   * @throws AppError PROFILE_NOT_FOUND
   */
  async stored(name: string, options: DoctorOptions = {}): Promise<DoctorReport> {
    let config: TunnelConfig;
    try {
      config = await this.#store.tunnelConfig(name);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'PROFILE_NOT_FOUND') throw appError;
      return profileFailureReport(name, appError);
    }
    return this.#checks(config, { topic: options.topic, idleCheck: options.idleCheck ?? false, brokers: this.#doctorBrokers(name, options) });
  }

  /**
   * Runs the Doctor on settings that are not saved (a form's draft); nothing is written. A draft
   * whose secrets cannot be resolved (no token typed nor stored, a locked keychain) gives a report
   * whose profile step failed.
   * @throws AppError PROFILE_NOT_FOUND (previousName)
   */
  async draft(input: StoredProfileInput, options: DraftDoctorOptions = {}): Promise<DoctorReport> {
    const { previousName, token, ...doctorOptions } = options;
    let config: TunnelConfig;
    try {
      config = await this.#store.draftTunnelConfig(input, { ...(previousName === undefined ? {} : { previousName }), ...(token === undefined ? {} : { token }) });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'PROFILE_NOT_FOUND') throw appError;
      return profileFailureReport(typeof input.name === 'string' ? input.name : '', appError);
    }
    const brokers = this.#doctorBrokers(previousName ?? config.name, doctorOptions);
    return this.#checks(config, { topic: doctorOptions.topic, idleCheck: doctorOptions.idleCheck ?? false, brokers });
  }

  /** The brokers a Doctor run checks: those asked for, and those the profile's tunnels have named. */
  #doctorBrokers(name: string, options: DoctorOptions): string[] {
    return [...new Set([...(options.brokers ?? []), ...this.#knownBrokers.of(name)])];
  }
}
