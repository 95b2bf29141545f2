import type { TunnelApi } from '../../../shared/ipc/contract.ts';
import { DoctorState } from './doctorState.svelte.ts';

/**
 * One DoctorState per profile for the life of the page, so the topic typed and the last report stay
 * while the user looks at another tab, another profile or the new-profile form.
 */
export class DoctorStates {
  readonly #api: Pick<TunnelApi, 'runDoctor'>;
  readonly #byProfile = new Map<string, DoctorState>();

  constructor(api: Pick<TunnelApi, 'runDoctor'>) {
    this.#api = api;
  }

  /** The profile's Doctor state, created on first use. */
  for(profile: string): DoctorState {
    let state = this.#byProfile.get(profile);
    if (!state) this.#byProfile.set(profile, (state = new DoctorState(this.#api, profile)));
    return state;
  }
}
