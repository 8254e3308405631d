import { describe, expect, it } from '@jest/globals';
import { decide, LeaderElector, LeaseConflictError, nextRecord, type LeaseClient, type LeaseRecord } from './leader.js';

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** An in-memory Lease with the API server's optimistic concurrency (409 on a stale resourceVersion). */
class FakeLeaseServer {
  record: LeaseRecord | undefined;
  private rv = 0;
  down = false;
  writes: string[] = [];

  client(): LeaseClient {
    return {
      get: async () => {
        if (this.down) throw new Error('connection refused');
        return this.record && { ...this.record };
      },
      create: async (r) => {
        if (this.down) throw new Error('connection refused');
        if (this.record) throw new LeaseConflictError('exists');
        this.record = { ...r, resourceVersion: String(++this.rv) };
        this.writes.push(r.holderIdentity ?? '');
        return { ...this.record };
      },
      replace: async (r) => {
        if (this.down) throw new Error('connection refused');
        if (!this.record || r.resourceVersion !== this.record.resourceVersion) throw new LeaseConflictError();
        this.record = { ...r, resourceVersion: String(++this.rv) };
        this.writes.push(r.holderIdentity ?? '');
        return { ...this.record };
      },
    };
  }
}

function elector(server: FakeLeaseServer, identity: string, clock: { t: number }, events: string[]) {
  return new LeaderElector({
    identity,
    client: server.client(),
    timing,
    now: () => clock.t,
    onStartedLeading: () => events.push(`${identity} start`),
    onStoppedLeading: () => events.push(`${identity} stop`),
  });
}

describe('decide', () => {
  const rec = (holder: string, seconds = 15): LeaseRecord => ({ holderIdentity: holder, leaseDurationSeconds: seconds, resourceVersion: '1' });
  it('creates an absent Lease, renews its own, takes a released one at once', () => {
    expect(decide('a', undefined, 0, timing)).toBe('create');
    expect(decide('a', { record: rec('a'), observedAt: 0 }, 100_000, timing)).toBe('renew');
    expect(decide('a', { record: rec(''), observedAt: 0 }, 0, timing)).toBe('acquire');
  });
  it("waits for another holder's Lease to expire, measured from when this replica last saw it change", () => {
    expect(decide('a', { record: rec('b'), observedAt: 1_000 }, 15_999, timing)).toBe('wait');
    expect(decide('a', { record: rec('b'), observedAt: 1_000 }, 16_000, timing)).toBe('acquire');
    expect(decide('a', { record: rec('b', 30), observedAt: 1_000 }, 16_000, timing)).toBe('wait');
  });
  it('counts transitions and keeps acquireTime on renewal', () => {
    const taken = nextRecord('a', { holderIdentity: 'b', leaseTransitions: 3, resourceVersion: '9' }, 'acquire', new Date(0), timing);
    expect(taken).toMatchObject({ holderIdentity: 'a', leaseTransitions: 4, resourceVersion: '9', leaseDurationSeconds: 15 });
    const renewed = nextRecord('a', { ...taken, acquireTime: 'then' }, 'renew', new Date(5_000), timing);
    expect(renewed).toMatchObject({ acquireTime: 'then', renewTime: new Date(5_000).toISOString(), leaseTransitions: 4 });
  });
});

describe('LeaderElector', () => {
  it('lets exactly one of two replicas lead, even when both see an absent Lease at the same time', async () => {
    const server = new FakeLeaseServer();
    const clock = { t: 0 };
    const events: string[] = [];
    const a = elector(server, 'a', clock, events);
    const b = elector(server, 'b', clock, events);
    await Promise.all([a.tick(), b.tick()]);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    for (let i = 0; i < 10; i++) {
      clock.t += 2_000;
      await Promise.all([a.tick(), b.tick()]);
      expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    }
    expect(events).toHaveLength(1);
  });

  it('hands over only after the Lease of a dead leader expires', async () => {
    const server = new FakeLeaseServer();
    const clock = { t: 0 };
    const events: string[] = [];
    const a = elector(server, 'a', clock, events);
    const b = elector(server, 'b', clock, events);
    await a.tick();
    await b.tick();
    expect(a.isLeader).toBe(true);
    // a dies: it stops renewing. b keeps trying every 2 s.
    for (let t = 2_000; t < 15_000; t += 2_000) {
      clock.t = t;
      await b.tick();
      expect(b.isLeader).toBe(false);
    }
    clock.t = 16_000;
    await b.tick();
    expect(b.isLeader).toBe(true);
    expect(server.record?.holderIdentity).toBe('b');
    expect(server.record?.leaseTransitions).toBe(1);
  });

  it('gives leadership up when renewal fails past the renew deadline, and at once on a lost write', async () => {
    const server = new FakeLeaseServer();
    const clock = { t: 0 };
    const events: string[] = [];
    const a = elector(server, 'a', clock, events);
    await a.tick();
    expect(a.isLeader).toBe(true);
    server.down = true;
    clock.t = 8_000;
    await a.tick();
    expect(a.isLeader).toBe(true); // within the deadline: still leading
    clock.t = 10_001;
    await a.tick();
    expect(a.isLeader).toBe(false);
    expect(events).toEqual(['a start', 'a stop']);

    server.down = false;
    await a.tick();
    expect(a.isLeader).toBe(true);
    // Someone else overwrites the Lease behind our back: our next renewal conflicts.
    server.record = { ...server.record!, holderIdentity: 'intruder', resourceVersion: '999' };
    const client = server.client();
    const stale = { ...server.record, resourceVersion: '1' };
    await expect(client.replace(stale)).rejects.toBeInstanceOf(LeaseConflictError);
    clock.t += 2_000;
    await a.tick();
    expect(a.isLeader).toBe(false);
  });

  it('releases the Lease on stop so that another replica takes it without waiting', async () => {
    const server = new FakeLeaseServer();
    const clock = { t: 0 };
    const events: string[] = [];
    const a = elector(server, 'a', clock, events);
    const b = elector(server, 'b', clock, events);
    await a.tick();
    await b.tick();
    await a.stop();
    expect(server.record?.holderIdentity).toBe('');
    clock.t += 1;
    await b.tick();
    expect(b.isLeader).toBe(true);
    expect(events).toEqual(['a start', 'a stop', 'b start']);
  });
});

describe('LeaderElector against a black-holed API server', () => {
  it('stops leading when its calls hang past the renew deadline', async () => {
    const server = new FakeLeaseServer();
    let hang = false;
    const base = server.client();
    const client: LeaseClient = {
      get: () => (hang ? new Promise(() => undefined) : base.get()),
      create: (r) => base.create(r),
      replace: (r) => (hang ? new Promise(() => undefined) : base.replace(r)),
    };
    const events: string[] = [];
    const e = new LeaderElector({
      identity: 'a',
      client,
      timing: { leaseDurationMs: 600, renewDeadlineMs: 200, retryPeriodMs: 50 },
      onStartedLeading: () => events.push('start'),
      onStoppedLeading: () => events.push('stop'),
    });
    await e.tick();
    expect(e.isLeader).toBe(true);
    hang = true;
    await e.tick(); // times out after 100 ms: still within the deadline
    expect(e.isLeader).toBe(true);
    await e.tick();
    await e.tick();
    expect(e.isLeader).toBe(false);
    expect(events).toEqual(['start', 'stop']);
  });
});
