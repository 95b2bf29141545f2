/**
 * The app's state objects, created once by App.svelte and shared with every component through a
 * typed Svelte context (no globals, so tests mount components with their own fakes).
 */
import { createContext } from 'svelte';
import type { TunnelApi } from '../../shared/ipc/contract.ts';
import type { DoctorStates } from '../features/doctor/doctorStates.ts';
import type { ConnectionLog } from './state/connectionLog.svelte.ts';
import type { Notices } from './state/notices.svelte.ts';
import type { ProfilesState } from './state/profiles.svelte.ts';
import type { UiState } from './state/ui.svelte.ts';

export interface AppContext {
  api: TunnelApi;
  profiles: ProfilesState;
  log: ConnectionLog;
  notices: Notices;
  ui: UiState;
  /** The Doctor's options and last report, per profile. */
  doctors: DoctorStates;
}

const [getAppContext, setAppContext] = createContext<AppContext>();

/** getAppContext(): the app's state, from any component under App (throws outside one). */
export { getAppContext, setAppContext };
