/**
 * One Doctor run per profile, as the Doctor view shows it: the options the user chose, whether a
 * run is in progress, and the last report or error. Rune state with private fields, public getters
 * and named mutating methods (Svelte 5 REPL style).
 */
import type { TunnelApi } from '../../../shared/ipc/contract.ts';
import type { DoctorOptions, DoctorReport } from '../../../shared/model/doctor.ts';
import { LatestRun } from '../../lib/state/latestRun.svelte.ts';

export class DoctorState {
  readonly #api: Pick<TunnelApi, 'runDoctor'>;
  readonly #profile: string;
  #topic = $state('');
  #idleCheck = $state(false);
  readonly #latest = new LatestRun<DoctorReport>();

  /** @param api the engine API (only runDoctor is used) @param profile the profile to check */
  constructor(api: Pick<TunnelApi, 'runDoctor'>, profile: string) {
    this.#api = api;
    this.#profile = profile;
  }

  get profile(): string {
    return this.#profile;
  }
  get topic(): string {
    return this.#topic;
  }
  get idleCheck(): boolean {
    return this.#idleCheck;
  }
  get running(): boolean {
    return this.#latest.running;
  }
  /** The last finished run's report. */
  get report(): DoctorReport | undefined {
    return this.#latest.result;
  }
  /** Why the last run could not produce a report (e.g. PROFILE_NOT_FOUND, API_UNREACHABLE). */
  get error(): unknown {
    return this.#latest.error;
  }

  setTopic(topic: string): void {
    this.#topic = topic;
  }
  setIdleCheck(on: boolean): void {
    this.#idleCheck = on;
  }

  /** Runs the Doctor with the current options; resolves when the report (or error) is in. */
  async run(): Promise<void> {
    const options: DoctorOptions = {};
    const topic = this.#topic.trim();
    if (topic !== '') options.topic = topic;
    if (this.#idleCheck) options.idleCheck = true;
    await this.#latest.run(() => this.#api.runDoctor(this.#profile, options));
  }
}

