/**
 * One deadline for everything a test waits on (a "gateway ready" line, a log
 * line, a listening event, an upstream request): generous, because a 2-core
 * machine shared with other suites boots a gateway in 5–75 s. Waits return as
 * soon as the event happens, so a long deadline costs nothing when all is well.
 * NGW_TEST_DEADLINE_MS overrides it (e.g. lower it to find a hang quickly).
 */
export const TEST_DEADLINE_MS = Number(process.env['NGW_TEST_DEADLINE_MS'] ?? '') || 90_000;
