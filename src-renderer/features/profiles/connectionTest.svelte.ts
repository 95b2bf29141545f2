/**
 * "Test connection" in the profile form: the Doctor on the form's unsaved settings (TunnelApi
 * runDoctorOnDraft). A token typed into the create form is sent for this run only; nothing is
 * saved. Remembers what was tested, so the result can say when the form changed since.
 */
import type { TunnelApi } from '../../../shared/ipc/contract.ts';
import type { DoctorReport, DraftDoctorOptions } from '../../../shared/model/doctor.ts';
import type { StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import { LatestRun } from '../../lib/state/latestRun.svelte.ts';

export class ConnectionTest {
  readonly #api: Pick<TunnelApi, 'runDoctorOnDraft'>;
  readonly #latest = new LatestRun<DoctorReport>();
  #tested = $state<string | undefined>(undefined);

  constructor(api: Pick<TunnelApi, 'runDoctorOnDraft'>) {
    this.#api = api;
  }

  get running(): boolean {
    return this.#latest.running;
  }
  get report(): DoctorReport | undefined {
    return this.#latest.result;
  }
  /** Why the last run gave no report (e.g. PROFILE_INVALID from the engine's own check). */
  get error(): unknown {
    return this.#latest.error;
  }
  /** True when `input` differs from the settings the shown result tested. */
  isStale(input: StoredProfileInput): boolean {
    return this.#tested !== undefined && this.#tested !== JSON.stringify(input);
  }

  /** Runs the Doctor on `input` (not saved); resolves when the report (or error) is in. */
  async run(input: StoredProfileInput, options: DraftDoctorOptions): Promise<void> {
    await this.#latest.run(
      () => this.#api.runDoctorOnDraft(input, options),
      (outcome) => (this.#tested = 'result' in outcome ? JSON.stringify(input) : undefined),
    );
  }
}
