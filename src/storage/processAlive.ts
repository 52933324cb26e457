// Whether a process on this host still runs: leftovers of dead processes
// (scratch folders, temporaries) may go, those of live ones never.

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
