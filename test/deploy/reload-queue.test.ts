/**
 * ReloadQueue: reloads never overlap, and a burst of requests during one reload
 * becomes exactly one more reload (which reads the file as it is by then).
 */
import t from 'tap';
import { ReloadQueue, type ReloadResult } from '../../src/reload.js';

t.test('requests during a reload coalesce into one more, run after it', async (t) => {
  const events: string[] = [];
  let n = 0;
  const queue = new ReloadQueue(async (): Promise<ReloadResult> => {
    const id = ++n;
    events.push(`start ${id}`);
    await new Promise((r) => setTimeout(r, 20));
    events.push(`end ${id}`);
    return { ok: true, problems: [], reason: undefined };
  });
  const first = queue.request();
  const second = queue.request();
  const third = queue.request();
  t.equal(second, third, 'requests while one runs share the queued reload');
  await Promise.all([first, second, third]);
  t.same(events, ['start 1', 'end 1', 'start 2', 'end 2']);
  await queue.request();
  t.equal(n, 3, 'an idle queue starts at once');
  await queue.idle();
});

t.test('a failed reload does not stop the queued one', async (t) => {
  let n = 0;
  const queue = new ReloadQueue(async (): Promise<ReloadResult> => {
    n++;
    if (n === 1) throw new Error('boom');
    return { ok: true, problems: [], reason: undefined };
  });
  const first = queue.request();
  const second = queue.request();
  await t.rejects(first, /boom/);
  t.same(await second, { ok: true, problems: [], reason: undefined });
});
