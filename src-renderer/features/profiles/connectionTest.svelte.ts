/**
 * "Test connection" in the profile form: the Doctor on the form's unsaved settings (TunnelApi
 * runDoctorOnDraft). A token typed into the create form is sent for this run only; nothing is
 * saved. Remembers what was tested, so the result can say when the form changed since.
 */
import type { TunnelApi } from '../../../shared/ipc/contract.ts';
import type { DoctorReport, DraftDoctorOptions } from '../../../shared/model/doctor.ts';
import type { StoredProfileInput } from '../../../shared/model/storedProfile.ts';

export class ConnectionTest {
  readonly #api: Pick<TunnelApi, 'runDoctorOnDraft'>;
  #running = $state(false);
  #report = $state<DoctorReport | undefined>(undefined);
  #error = $state<unknown>(undefined);
  #tested = $state<string | undefined>(undefined);
  /** Counts runs, so an answer that arrives after a newer run started is ignored. */
  #generation = 0;

  constructor(api: Pick<TunnelApi, 'runDoctorOnDraft'>) {
    this.#api = api;
  }

  get running(): boolean {
    return this.#running;
  }
  get report(): DoctorReport | undefined {
    return this.#report;
  }
  /** Why the last run gave no report (e.g. PROFILE_INVALID from the engine's own check). */
  get error(): unknown {
    return this.#error;
  }
  /** True when `input` differs from the settings the shown result tested. */
  isStale(input: StoredProfileInput): boolean {
    return this.#tested !== undefined && this.#tested !== JSON.stringify(input);
  }

  /** Runs the Doctor on `input` (not saved); resolves when the report (or error) is in. */
  async run(input: StoredProfileInput, options: DraftDoctorOptions): Promise<void> {
    const generation = ++this.#generation;
    this.#running = true;
    this.#error = undefined;
    try {
      const report = await this.#api.runDoctorOnDraft(input, options);
      if (generation === this.#generation) {
        this.#report = report;
        this.#tested = JSON.stringify(input);
      }
    } catch (error) {
      if (generation === this.#generation) {
        this.#error = error;
        this.#report = undefined;
        this.#tested = undefined;
      }
    } finally {
      if (generation === this.#generation) this.#running = false;
    }
  }
}
