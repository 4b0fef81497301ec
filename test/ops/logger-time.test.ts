// The cached ISO timestamp must render exactly what Date#toISOString() renders.
import t from 'tap';
import { isoTime } from '../../src/ops/logger.js';

t.test('isoTime matches toISOString, milliseconds zero-padded', async (t) => {
  const realNow = Date.now;
  t.teardown(() => {
    Date.now = realNow;
  });
  for (const ms of [Date.UTC(2026, 4, 19, 10, 0, 0, 7), Date.UTC(2026, 4, 19, 10, 0, 0, 42), Date.UTC(2026, 4, 19, 10, 0, 0, 999), Date.UTC(2026, 4, 19, 10, 0, 1, 0), Date.UTC(2030, 0, 1, 0, 0, 0, 100)]) {
    Date.now = () => ms;
    t.equal(isoTime(), `,"time":"${new Date(ms).toISOString()}"`);
  }
});
