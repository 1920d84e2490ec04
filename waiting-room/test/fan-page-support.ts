import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_LAUNCH } from '../../test/support/chromium.js';
import type { TestPlatform } from '../../test/support/test-platform.js';

export type Device = 'phone' | 'desktop';

/** What the page put in the live region (with its time) and the hook events it sent: recorded by `browser()`. */
export interface PageRecord {
  announced: Array<{ at: number; text: string }>;
  soldOutEvents: string[];
}

/**
 * Chromiums for the fan page (waiting-room/public/) against one test platform, each with a
 * throwaway profile (the machine has no network: see CHROMIUM_LAUNCH); `close()` ends them all.
 */
export function fanPageBrowsers(platform: TestPlatform) {
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];

  return {
    async browser(device: Device, opts: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'onsale-chromium-'));
      profiles.push(dir);
      const context = await chromium.launchPersistentContext(dir, {
        ...CHROMIUM_LAUNCH,
        ...opts,
        ...(device === 'phone' ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } }),
      });
      contexts.push(context);
      // Every text the live region is given, with its time (the throttle is checked against it), and the hook events.
      await context.addInitScript(() => {
        const w = window as unknown as PageRecord;
        w.announced = [];
        w.soldOutEvents = [];
        document.addEventListener('onsale:sold-out', (e) => w.soldOutEvents.push((e as CustomEvent<{ concertId: string }>).detail.concertId));
        document.addEventListener('DOMContentLoaded', () => {
          const region = document.getElementById('announcer');
          if (region) new MutationObserver(() => w.announced.push({ at: Date.now(), text: region.textContent ?? '' })).observe(region, { childList: true });
        });
      });
      return context;
    },

    /** The concert's page in the context's first tab; `errors` collects the page's uncaught exceptions. */
    async openPage(context: BrowserContext, concertId: string): Promise<{ page: Page; errors: string[] }> {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${platform.gatewayUrl}/waiting-room/${concertId}`);
      await page.getByRole('heading', { level: 1, name: /^Concert / }).waitFor();
      return { page, errors };
    },

    async close() {
      for (const context of contexts) await context.close();
      for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signs in with the page's own form (the page then joins the line, or shows the fan's booking). */
export async function signInOnPage(page: Page, fan: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Email').fill(fan.email);
  await page.getByLabel('Password').fill(fan.password);
  await page.getByRole('button', { name: 'Sign in and join the line' }).click();
}

export const storedAccessToken = (page: Page) => page.evaluate(() => localStorage.getItem('onsale.accessToken'));
export const storedRefreshToken = (page: Page) => page.evaluate(() => localStorage.getItem('onsale.refreshToken'));
/** A JWT's `exp`, in ms. */
export const expiryOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp * 1000;
