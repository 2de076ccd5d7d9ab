/**
 * Waits for something that happens on its own time (a reconnect, a subscription) by polling
 * `condition` every 25 ms; throws after `timeoutMs` (default 10 s). For states, not for
 * timing: the deadline is generous so that a crowded machine is not a failure.
 */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
