// The scheduler alone, on a fake clock: what /healthz reads of a sync in progress, and the delayed job
// (the state file clean-up) that never runs beside a sync.
import { describe, expect, test } from '@jest/globals';
import { SyncScheduler } from '../../src/reconcile/scheduler.js';
import { FakeClock, RecordingLog } from './fakes.js';

function scheduler(sync: () => Promise<void>) {
  const clock = new FakeClock();
  const log = new RecordingLog();
  const s = new SyncScheduler({ clock, log, debounceMs: 100, minReloadIntervalMs: 1000, ready: () => true, sync });
  return { s, clock, log };
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('SyncScheduler', () => {
  test('busy and stalled time of a sync: progress resets the stall, not the busy time; both are 0 when idle', async () => {
    const g = gate();
    const { s, clock } = scheduler(() => g.wait);
    s.trigger('test');
    await clock.advance(0);
    await clock.advance(5000);
    expect([s.busyForMs, s.stalledForMs]).toEqual([5000, 5000]);
    s.progress();
    await clock.advance(2000);
    expect([s.busyForMs, s.stalledForMs]).toEqual([7000, 2000]);
    g.open();
    await clock.advance(0);
    expect([s.busyForMs, s.stalledForMs]).toEqual([0, 0]);
  });

  test('a delayed job waits for the sync in progress, and a trigger during the job syncs after it', async () => {
    const syncGate = gate();
    const jobGate = gate();
    let syncs = 0;
    const { s, clock, log } = scheduler(async () => {
      syncs++;
      if (syncs === 1) await syncGate.wait;
    });
    const jobs: number[] = [];
    s.later(1000, 'the state file clean-up', async () => {
      jobs.push(clock.now());
      await jobGate.wait;
    });
    s.trigger('first');
    await clock.advance(0);
    await clock.advance(1500); // the job is due, but the sync still runs
    expect(jobs).toEqual([]);
    syncGate.open();
    await clock.advance(1000);
    expect(jobs).toHaveLength(1);
    s.trigger('during the job');
    await clock.advance(5000);
    expect(syncs).toBe(1);
    jobGate.open();
    await clock.advance(0);
    expect(log.lines.filter((l) => l.message === 'change').at(-1)?.fields).toEqual({ reason: 'changes during the state file clean-up' });
    await clock.advance(200);
    expect(syncs).toBe(2);
  });

  test('a retry asked for while one is pending is the pending one, and the backoff stops at 30 s', async () => {
    const { s, clock, log } = scheduler(async () => undefined);
    const delays = () => log.lines.filter((l) => l.message.startsWith('the sync could not complete')).map((l) => l.fields?.inMs);
    s.retry('write');
    s.retry('write');
    expect(delays()).toEqual([1000]);
    for (let i = 0; i < 6; i++) {
      await clock.advance(60_000);
      s.retry('reload');
    }
    expect(delays()).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  test('after stop, nothing syncs', async () => {
    let syncs = 0;
    const { s, clock } = scheduler(async () => void syncs++);
    s.trigger('before stop');
    await s.stop();
    s.trigger('after stop');
    await clock.advance(10_000);
    expect(syncs).toBe(0);
  });
});
