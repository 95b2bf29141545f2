/**
 * Screens of the end-to-end UI tests: each is saved light and dark at 1280 and 800 px wide
 * (test-results/new-<screen>-<width>-<scheme>.png) and audited with axe-core; the serious and
 * critical findings are collected for a final step to check.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotDir } from './uiWorld.ts';

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const widths = [1280, 800] as const;
export const height = 800;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Collects screens and axe-core findings over one page. */
export class ScreenAudit {
  readonly screens: string[] = [];
  readonly violations: string[] = [];
  readonly #page: Page;

  constructor(page: Page) {
    this.#page = page;
  }

  /** Serious and critical axe-core findings on the page as it is now. */
  async audit(screen: string): Promise<void> {
    const page = this.#page;
    // Strings, not functions: this file is type-checked without the DOM library.
    // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') refuses a script tag.
    if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(await readFile(axeSource, 'utf8'));
    const found = (await page.evaluate('window.axe.run(document, { resultTypes: ["violations"] }).then((result) => result.violations)')) as AxeViolation[];
    for (const violation of found) {
      if (violation.impact !== 'serious' && violation.impact !== 'critical') continue;
      this.violations.push(`${screen}: ${violation.id} (${violation.impact}) ${violation.help} at ${violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(', ')}`);
    }
  }

  /** Saves and audits the current screen at 1280 and 800 px, light and dark; back to 1280 light after. */
  async screen(name: string): Promise<void> {
    const page = this.#page;
    this.screens.push(name);
    for (const width of widths) {
      await page.setViewportSize({ width, height });
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        await page.screenshot({ path: join(screenshotDir, `new-${name}-${width}-${colorScheme}.png`) });
        await this.audit(`${name} ${width}px ${colorScheme}`);
      }
    }
    await page.setViewportSize({ width: widths[0], height });
    await page.emulateMedia({ colorScheme: 'light' });
  }

  /** Closes every notice on the page. */
  async dismissNotices(): Promise<void> {
    const dismiss = this.#page.getByRole('button', { name: 'Dismiss notice' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
  }
}
