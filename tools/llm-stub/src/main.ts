import { startLlmStub } from './server';

async function main(): Promise<void> {
  const port = Number(process.env.LLM_STUB_PORT ?? 4020);
  const host = process.env.LLM_STUB_HOST ?? '127.0.0.1';
  const stub = await startLlmStub({ port, host });
  console.log(`[llm-stub] listening on ${stub.url} (OpenAI base URL ${stub.url}/v1)`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[llm-stub] ${signal} received, shutting down`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    stub.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('[llm-stub] failed to start', err);
  process.exit(1);
});
