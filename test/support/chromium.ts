// Debian's chromium driven by playwright-core (no downloaded browser), for the
// tests that play a package in a real player: headless, autoplay allowed, no
// background traffic.
import { existsSync } from 'node:fs';
import type { TestOptions } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { needs } from './required';

export const CHROMIUM = '/usr/bin/chromium';

/** A missing browser skips the test on a developer's machine only; CI must run it. */
export function needsChromium(): TestOptions {
  return needs(existsSync(CHROMIUM), 'chromium', `${CHROMIUM} is missing (SHARDFLOW_BROWSER_TESTS=1 bash scripts/bootstrap.sh installs it as root)`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--disable-background-networking', '--disable-component-update'],
  });
}
