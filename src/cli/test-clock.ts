/**
 * A test-only clock for the web console: `RAMBU_TEST_NOW=2026-01-16T10:00:00+07:00 rambu serve ...`
 * starts the console's clock (public status page, overview, "today") at that instant, running on
 * from there, so a browser test can show a holiday or a Ramadan day whatever the real date is. The
 * flow collector (a flow's minute) and the probes (a result's time) follow it too, so that a test can
 * put traffic and latency on chosen working days. The DNS path keeps the wall clock. Not for production: serve says so on its first line when it is set.
 */
import { parseInstant } from '../policy/index.js';

export const TEST_CLOCK_ENV = 'RAMBU_TEST_NOW';

/** The console clock `RAMBU_TEST_NOW` asks for, null when unset; throws RangeError when malformed. */
export function testClock(env: NodeJS.ProcessEnv, wall: () => number = Date.now): (() => number) | null {
  const text = env[TEST_CLOCK_ENV];
  if (text === undefined || text === '') return null;
  const start = parseInstant(text);
  if (start === null) throw new RangeError(`invalid ${TEST_CLOCK_ENV} "${text}": expected ISO-8601 with an offset`);
  const offset = start - wall();
  return () => wall() + offset;
}
