import { Poller, PollResult } from './poller';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('Poller', () => {
  const pollers: Poller[] = [];
  function make(
    job: () => Promise<PollResult | void>,
    intervalMs = 20,
    maxBackoffMs = 1000,
    onError?: () => void,
  ) {
    const p = new Poller({ name: 'test', intervalMs, maxBackoffMs, job, onError });
    pollers.push(p);
    return p;
  }
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });

  it('runs the job every interval once started, and not before', async () => {
    let runs = 0;
    const p = make(async () => {
      runs++;
    });
    await sleep(50);
    expect(runs).toBe(0);
    p.start();
    await until(() => runs >= 3);
  });

  it('runs again at once while the job reports more work', async () => {
    const batches = [5, 5, 5, 2];
    const seen: number[] = [];
    const p = make(async () => {
      const n = batches.shift() ?? 0;
      seen.push(n);
      return n === 5 ? 'more' : 'idle';
    }, 60_000);
    await p.run();
    expect(seen).toEqual([5, 5, 5, 2]);
  });

  it('a kick runs the job without waiting for the interval', async () => {
    let runs = 0;
    const p = make(async () => {
      runs++;
    }, 60_000);
    p.start();
    p.kick();
    await until(() => runs === 1);
  });

  it('a kick during a run makes that run go round once more, never two runs at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = make(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      if (runs === 1) await gate;
      active--;
    }, 60_000);
    const first = p.run();
    await sleep(5);
    p.kick();
    p.kick();
    const joined = p.run();
    release();
    await Promise.all([first, joined]);
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('backs off while failing, doubling up to the cap, and recovers on success', async () => {
    let fail = true;
    const errors: number[] = [];
    const p = make(
      async () => {
        if (fail) throw new Error('db down');
      },
      100,
      450,
      () => errors.push(p.consecutiveFailures),
    );
    expect(p.nextDelayMs()).toBe(100);
    await p.run();
    expect(p.nextDelayMs()).toBe(200);
    await p.run();
    expect(p.nextDelayMs()).toBe(400);
    await p.run();
    expect(p.nextDelayMs()).toBe(450);
    for (let i = 0; i < 10; i++) await p.run();
    expect(p.nextDelayMs()).toBe(450);
    expect(errors.slice(0, 3)).toEqual([1, 2, 3]);
    fail = false;
    await p.run();
    expect(p.consecutiveFailures).toBe(0);
    expect(p.nextDelayMs()).toBe(100);
  });

  it('a failing job does not reject run() and the timer keeps going', async () => {
    let runs = 0;
    const p = make(
      async () => {
        runs++;
        throw new Error('nope');
      },
      10,
      20,
      () => undefined,
    );
    await expect(p.run()).resolves.toBeUndefined();
    p.start();
    await until(() => runs >= 3);
  });

  it('stop waits for the run in progress, then nothing runs any more', async () => {
    let runs = 0;
    let finished = false;
    const p = make(async () => {
      runs++;
      await sleep(50);
      finished = true;
    }, 10);
    p.start();
    await until(() => runs === 1);
    await p.stop();
    expect(finished).toBe(true);
    const after = runs;
    p.kick();
    await sleep(60);
    expect(runs).toBe(after);
  });

  it('stop ends a run that keeps reporting more work', async () => {
    let runs = 0;
    const p = make(async () => {
      runs++;
      await sleep(2);
      return 'more';
    });
    const running = p.run();
    await until(() => runs >= 2);
    await p.stop();
    await running;
    const after = runs;
    await sleep(30);
    expect(runs).toBe(after);
  });
});
