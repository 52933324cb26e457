// The job as a user sees it in the Temporal Web UI, in a real browser: the
// workflow with its "<file> → <renditions>" summary, its shard-batch child, and
// in the child every encodeShard activity with its "shard i/n · rendition"
// summary. Needs Debian's chromium (bootstrap installs it when
// SHARDFLOW_BROWSER_TESTS=1) and the dev server's UI at SHARDFLOW_UI_URL.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTranscodeJob } from '../../src/client';
import { jobUiUrl } from '../../src/config';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import { makeClip } from '../support/clips';
import { needs } from '../support/required';
import { createTestEnv, type TestEnv } from '../support/testEnv';

const CHROMIUM = '/usr/bin/chromium';
const RENDITIONS = ['mp4-360p', 'mp4-480p'];
// A missing browser skips the tests on a developer's machine only; CI must run them.
const browser = needs(existsSync(CHROMIUM), 'chromium', `${CHROMIUM} is missing (SHARDFLOW_BROWSER_TESTS=1 bash scripts/bootstrap.sh installs it as root)`);

interface Shown {
  page: Page;
  jobId: string;
  result: TranscodeResult;
  /** The static summary startTranscodeJob gives the workflow. */
  summary: string;
}

describe('Temporal Web UI', () => {
  let env: TestEnv;
  let context: BrowserContext | undefined;
  let setup: Promise<Shown> | undefined;

  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await context?.close();
    await env?.close();
  });

  /** Checks the UI answers, opens the browser and runs one small job; shared by both tests. */
  const ready = (): Promise<Shown> =>
    (setup ??= (async () => {
      await assertUiAnswers(env.config.uiUrl);
      context = await openBrowser(mkdtempSync(path.join(env.dir, 'chromium-profile-')), env.config.uiUrl);
      const clip = makeClip({ seconds: 3, fps: 25, gop: 25 });
      const job = await startTranscodeJob(env.client, env.config, {
        source: `file://${clip}`,
        output: `file://${path.join(env.dir, 'out')}/`,
        renditions: RENDITIONS,
        segmentSeconds: 1,
        jobId: `webui-${process.pid}-${Date.now()}`,
      });
      const result = (await job.handle.result()) as TranscodeResult;
      const page = context.pages()[0] ?? (await context.newPage());
      return { page, jobId: job.jobId, result, summary: `${path.basename(clip)} → ${RENDITIONS.join(', ')}` };
    })());

  it('shows the job: its id, type transcodeVideo, source → renditions summary and shard-batch child', { ...browser, timeout: 180_000 }, async () => {
    const { page, jobId, result, summary } = await ready();
    assert.equal(result.shards, 3);
    await page.goto(jobUiUrl(env.config, jobId));
    await see(page, page.getByTestId('workflow-id-heading').filter({ hasText: jobId }), `the heading ${jobId}`);
    await see(page, page.getByRole('link', { name: 'transcodeVideo', exact: true }), 'the workflow type transcodeVideo');
    // The child's static summary labels its row in the parent's timeline.
    await page.locator('#timeline-tab').click();
    await see(page, page.getByText('shards 1-3 of 3', { exact: true }), 'the child workflow "shards 1-3 of 3" in the timeline');

    // The UI renders user metadata in sandboxed iframes, one per field.
    await page.locator('#user-metadata-tab').click();
    await see(page, page.frameLocator('#user-metadata-summary').getByText(summary, { exact: true }), `the summary "${summary}"`);
  });

  it('shows every encodeShard activity with its "shard i/n · rendition" summary in the child workflow', { ...browser, timeout: 180_000 }, async () => {
    const { page, jobId, result } = await ready();
    const childId = `${jobId}.shards-0`;
    // Reach the child the way a user does: the parent's Relationships tab links to it.
    await page.goto(jobUiUrl(env.config, jobId));
    await page.locator('#relationships-tab').click();
    await see(page, page.getByRole('link', { name: childId, exact: true }), `a link to the child ${childId}`);
    await page.getByRole('link', { name: childId, exact: true }).click();
    await see(page, page.getByTestId('workflow-id-heading').filter({ hasText: childId }), `the heading ${childId}`);
    await see(page, page.getByRole('link', { name: 'transcodeShardBatch', exact: true }), 'the workflow type transcodeShardBatch');

    const summaries = [];
    for (let i = 1; i <= result.shards; i++) for (const r of RENDITIONS) summaries.push(`shard ${i}/${result.shards} · ${r}`);

    // Timeline rows read "encodeShard • shard 1/3 · mp4-360p".
    await page.locator('#timeline-tab').click();
    for (const s of summaries) await see(page, page.getByText(`encodeShard • ${s}`, { exact: true }), `the timeline row "encodeShard • ${s}"`);

    // Event history rows show the activity type and the summary side by side.
    await page.locator('#history-tab').click();
    const scheduled = page.locator('tr[data-testid="event-summary-row"]').filter({ hasText: 'Activity Task Scheduled' }).filter({ hasText: 'encodeShard' });
    for (const s of summaries) await see(page, scheduled.filter({ hasText: s }), `an "Activity Task Scheduled · encodeShard" row with "${s}"`);
    assert.equal(await scheduled.count(), summaries.length, 'one scheduled encodeShard per shard × rendition');
  });
});

async function assertUiAnswers(uiUrl: string): Promise<void> {
  let problem: string;
  try {
    const res = await fetch(`${uiUrl}/api/v1/settings`, { signal: AbortSignal.timeout(10_000) });
    if (res.ok) return;
    problem = `HTTP ${res.status}`;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    problem = e.cause?.message ?? e.message;
  }
  assert.fail(
    `No Temporal Web UI answers at ${uiUrl} (${problem}). This test needs the UI of the server at TEMPORAL_ADDRESS: ` +
      'scripts/test.sh starts the dev server with its UI on :8233; for another server set SHARDFLOW_UI_URL to its UI.',
  );
}

async function openBrowser(profileDir: string, uiUrl: string): Promise<BrowserContext> {
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      viewport: { width: 1600, height: 1000 },
    });
  } catch (err) {
    throw new Error(`cannot start ${CHROMIUM} (SHARDFLOW_BROWSER_TESTS=1 bash scripts/bootstrap.sh installs it as root): ${(err as Error).message}`);
  }
  // The UI may reach out for news and fonts; only its own origin matters here.
  const origin = new URL(uiUrl).origin;
  await context.route(
    (url) => url.origin !== origin,
    (route) => route.abort(),
  );
  return context;
}

/** Waits for a visible element; on timeout says what was missing and what the page showed. */
async function see(page: Page, locator: Locator, what: string): Promise<void> {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: 30_000 });
  } catch {
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    assert.fail(`the Web UI did not show ${what} at ${page.url()}; the page read:\n${text.replace(/\s+/g, ' ').slice(0, 1500)}`);
  }
}
