// The workflow code every Worker runs. `npm run build` bundles it once
// (dist/workflow-bundle.js), so a worker skips webpack at start and keeps its
// memory; a missing or stale bundle falls back to bundling from source.
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { promises as fs, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export const WORKFLOWS_PATH = require.resolve('./workflows');
/** dist/workflow-bundle.js, beside dist/src. */
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');

/** Newest modification time among the compiled workflow and core files the bundle is made of. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.js')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of ['workflows', 'core']) walk(path.join(__dirname, dir));
  return newest;
}

function bundleIsCurrent(): boolean {
  try {
    return statSync(WORKFLOW_BUNDLE_PATH).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

/** Where a Worker gets its workflow code: the prebuilt bundle when current, else the source folder. */
export function workflowCode(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  return bundleIsCurrent() ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } } : { workflowsPath: WORKFLOWS_PATH };
}

const INLINE_MAP = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

/**
 * The bundle with its inline source map cut to what stack traces use. The map
 * also carries every source file's text (a third of the bundle), which the SDK
 * parses in each workflow thread but reads only for `showStackTraceSources`,
 * which shardflow leaves off: without it a worker starts 19 MB smaller.
 */
export function withoutSourcesContent(code: string): string {
  const at = code.lastIndexOf(INLINE_MAP);
  if (at < 0) throw new Error('workflow bundle: no inline source map found (the SDK needs one)');
  const map = JSON.parse(Buffer.from(code.slice(at + INLINE_MAP.length).trimEnd(), 'base64').toString()) as { sourcesContent?: unknown };
  delete map.sourcesContent;
  return `${code.slice(0, at)}${INLINE_MAP}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

export async function writeWorkflowBundle(): Promise<number> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
  const slim = withoutSourcesContent(code);
  await fs.writeFile(WORKFLOW_BUNDLE_PATH, slim);
  return slim.length;
}

if (require.main === module) {
  writeWorkflowBundle().then(
    (bytes) => console.log(`workflow bundle: ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)} (${Math.round(bytes / 1024)} KiB)`),
    (err: Error) => {
      console.error(`workflow bundle failed: ${err.message}`);
      process.exit(1);
    },
  );
}
