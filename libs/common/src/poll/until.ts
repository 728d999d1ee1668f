/** Resolves true when `done()` holds, or false at `deadline` (epoch ms), checking every `pollMs`. */
export async function until(done: () => boolean, deadline: number, pollMs = 20): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
  }
  return true;
}
