// Sets variables in this process's environment for a suite whose in-process
// worker reads them at start, and gives back what undoes it.

/** Sets `vars`; the returned function restores each one as it was (unset stays unset). */
export function setProcessEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
