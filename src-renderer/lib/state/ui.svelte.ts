/** Which screen and dialog is showing: UI-only state, no engine calls. */
import type { SecretSource } from '../../../shared/ipc/contract.ts';

export type ProfileTab = 'tunnel' | 'settings' | 'certificates' | 'doctor';
export type Dialog =
  | { kind: 'none' }
  | { kind: 'delete'; name: string }
  | { kind: 'duplicate'; name: string }
  | { kind: 'export' }
  | { kind: 'passphrase'; fileName: string; content: string; wrong: boolean }
  | { kind: 'secretSources'; fileName: string; content: string; passphrase?: string; sources: SecretSource[] };

export class UiState {
  #creating = $state(false);
  #tab = $state<ProfileTab>('tunnel');
  #dialog = $state<Dialog>({ kind: 'none' });
  #searchFocusRequests = $state(0);
  #engineError = $state<unknown>(undefined);

  /** True while the form shows a new, unsaved profile. */
  get creating(): boolean {
    return this.#creating;
  }
  get tab(): ProfileTab {
    return this.#tab;
  }
  get dialog(): Dialog {
    return this.#dialog;
  }
  /** Increments each time something asks for the log search box (the "/" shortcut). */
  get searchFocusRequests(): number {
    return this.#searchFocusRequests;
  }

  /** The last failure of the background status poll, cleared by the next success. */
  get engineError(): unknown {
    return this.#engineError;
  }
  setEngineError(error: unknown): void {
    this.#engineError = error;
  }

  startCreating(): void {
    this.#creating = true;
    this.#tab = 'settings';
  }
  stopCreating(): void {
    this.#creating = false;
  }
  showTab(tab: ProfileTab): void {
    this.#tab = tab;
    this.#creating = false;
  }
  open(dialog: Dialog): void {
    this.#dialog = dialog;
  }
  close(): void {
    this.#dialog = { kind: 'none' };
  }
  requestSearchFocus(): void {
    this.#searchFocusRequests += 1;
  }
}
