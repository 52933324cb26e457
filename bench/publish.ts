// `npm run bench:report`: rewrites the generated blocks of the docs from the
// committed results in bench/results/, running nothing. A full bench run
// does the same when it ends. A block is the text between
// `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; the rest of a file is
// left alone.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { latestResults } from './results';
import { details, headline } from './summary';

/** Which generated blocks each file carries. */
const BLOCKS: Record<string, ('headline' | 'details')[]> = {
  'README.md': ['headline'],
  'bench/README.md': ['headline'],
  'docs/benchmarks.md': ['headline', 'details'],
};

export function replaceBlock(text: string, name: string, content: string, file: string): string {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file} has no ${open} ... ${close} block`);
  return `${text.slice(0, start + open.length)}\n${content}\n${text.slice(end)}`;
}

/** Each file carrying generated blocks, with its text as the stored results make it. */
export async function renderDocs(repo: string): Promise<{ file: string; before: string; after: string }[]> {
  const latest = latestResults(repo);
  if (latest.size === 0) throw new Error(`no results in ${path.join(repo, 'bench', 'results')}/<date>/`);
  const content = { headline: headline(latest), details: details(latest) };
  return Promise.all(
    Object.entries(BLOCKS).map(async ([file, names]) => {
      const before = await fs.readFile(path.join(repo, file), 'utf8');
      return { file, before, after: names.reduce((text, name) => replaceBlock(text, name, content[name], file), before) };
    }),
  );
}

/** Rewrites every generated block; returns the files whose text changed. */
export async function publishResults(repo: string): Promise<string[]> {
  const changed = (await renderDocs(repo)).filter((d) => d.after !== d.before);
  for (const d of changed) await fs.writeFile(path.join(repo, d.file), d.after);
  return changed.map((d) => d.file);
}

if (require.main === module) {
  const repo = path.resolve(__dirname, '../..');
  publishResults(repo).then(
    (changed) => process.stdout.write(changed.length ? `bench: updated ${changed.join(', ')}\n` : 'bench: docs already match bench/results\n'),
    (err) => {
      process.stderr.write(`bench: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
