// Finds the definitions of the flows a definition runs as subflows
// (`acs:fnf:::flow/<name>`): `<name>.yaml`, `.yml` or `.json` beside the
// definition or in a --flows folder, nested subflows too. They travel in the
// run's input by name, as a deployed flow is found by its name.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { subflowNames } from '../core/flow/subflows';
import { loadDefinitionFile } from './flowFile';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface Subflows {
  /** Definitions by flow name. */
  definitions: Record<string, unknown>;
  /** The file each came from, for messages. */
  files: Record<string, string>;
  /** Folders searched, in order. */
  searched: string[];
}

export function loadSubflows(file: string, definition: unknown, flowDirs: string[] = []): Subflows {
  const searched = [path.dirname(path.resolve(file)), ...flowDirs.map((d) => path.resolve(d))];
  const out: Subflows = { definitions: {}, files: {}, searched };
  const pending = subflowNames(definition);
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name in out.definitions) continue;
    const found = searched.flatMap((dir) => EXTENSIONS.map((ext) => path.join(dir, `${name}${ext}`))).find((f) => existsSync(f));
    if (!found) continue; // validation names the step and the missing flow
    const def = loadDefinitionFile(found);
    out.definitions[name] = def;
    out.files[name] = found;
    pending.push(...subflowNames(def));
  }
  return out;
}
