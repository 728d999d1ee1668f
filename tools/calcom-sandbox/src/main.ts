import { startCalcomSandbox } from './server';

async function main(): Promise<void> {
  const port = Number(process.env.CALCOM_SANDBOX_PORT ?? 4030);
  const host = process.env.CALCOM_SANDBOX_HOST ?? '127.0.0.1';
  const sandbox = await startCalcomSandbox({ port, host });
  console.log(`[calcom-sandbox] listening on ${sandbox.url} (admin API at ${sandbox.url}/__admin)`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[calcom-sandbox] ${signal} received, shutting down`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('[calcom-sandbox] failed to start', err);
  process.exit(1);
});
