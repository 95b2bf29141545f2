/** Which screen and dialog is showing: UI-only state, no engine calls. */
import type { ImportOptions, ImportResult, SecretSource } from '../../../shared/ipc/contract.ts';

export type ProfileTab = 'tunnel' | 'settings' | 'certificates' | 'doctor';
export type Dialog =
  | { kind: 'none' }
  | { kind: 'delete'; name: string }
  | { kind: 'duplicate'; name: string }
  | { kind: 'export' }
  | { kind: 'passphrase'; fileName: string; content: string; wrong: boolean }
  | { kind: 'secretSources'; fileName: string; content: string; passphrase?: string; choice?: Pick<ImportOptions, 'name' | 'onConflict'>; sources: SecretSource[] }
  /**
   * How to import a file: under which name (a client.conf, whose file name is a poor profile name),
   * or, when a name is taken, replace / keep both / another name. `message` is the engine's refusal;
   * `options` carries what was already agreed (passphrase, reading secrets) into the next attempt.
   */
  | { kind: 'importChoice'; reason: 'clash' | 'name'; fileName: string; content: string; options: ImportOptions; suggestedName: string; message?: string };

/** What the last import did, kept on screen (above the profile) until dismissed: one warning per line. */
export interface ImportReport {
  fileName: string;
  imported: string[];
  warnings: string[];
  secretSources: SecretSource[];
}

/** Which view the log pane shows. */
export type LogViewKind = 'connections' | 'lookups';

/** Smallest height the log pane can be dragged to, in px. */
export const minLogHeight = 120;

export class UiState {
  #creating = $state(false);
  #tab = $state<ProfileTab>('tunnel');
  #dialog = $state<Dialog>({ kind: 'none' });
  #searchFocusRequests = $state(0);
  #engineError = $state<unknown>(undefined);
  #logCollapsed = $state(false);
  #logView = $state<LogViewKind>('connections');
  #logHeight = $state<number | undefined>(undefined);
  #formFocusRequests = $state(0);
  #importReport = $state.raw<ImportReport | undefined>(undefined);

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

  /** True while the log pane is folded to its title bar. */
  get logCollapsed(): boolean {
    return this.#logCollapsed;
  }
  get logView(): LogViewKind {
    return this.#logView;
  }
  /** The log pane's height in px once the user dragged the splitter; undefined: the default share. */
  get logHeight(): number | undefined {
    return this.#logHeight;
  }
  /** Increments each time a new form should take the focus (the "n" shortcut, New profile). */
  get formFocusRequests(): number {
    return this.#formFocusRequests;
  }
  /** The last import's warnings and secrets read, until dismissed (undefined: nothing to show). */
  get importReport(): ImportReport | undefined {
    return this.#importReport;
  }
  /** Keeps an import's outcome on screen when it has warnings or read secrets; clears it otherwise. */
  reportImport(fileName: string, result: Pick<ImportResult, 'imported' | 'warnings' | 'secretSources'>): void {
    this.#importReport =
      result.warnings.length > 0 || result.secretSources.length > 0 ? { fileName, imported: [...result.imported], warnings: [...result.warnings], secretSources: [...result.secretSources] } : undefined;
  }
  dismissImportReport(): void {
    this.#importReport = undefined;
  }
  toggleLog(): void {
    this.#logCollapsed = !this.#logCollapsed;
  }
  showLogView(view: LogViewKind): void {
    this.#logView = view;
  }
  /** Sets the log pane's height, kept at least {@link minLogHeight} and at most `max`. */
  setLogHeight(height: number, max: number): void {
    this.#logHeight = Math.round(Math.max(minLogHeight, Math.min(Math.max(minLogHeight, max), height)));
    this.#logCollapsed = false;
  }

  startCreating(): void {
    this.#creating = true;
    this.#tab = 'settings';
    this.#formFocusRequests += 1;
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
