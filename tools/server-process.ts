/**
 * How every development server in tools/ runs as a process: listen on
 * `<PREFIX>_PORT` / `<PREFIX>_HOST` (a default port, 127.0.0.1), say where,
 * and on SIGTERM or SIGINT close (forced after 3 s) and exit.
 */
export interface ToolServer {
  url: string;
  close(): Promise<void>;
}

export function runServer(opts: {
  name: string;
  envPrefix: string;
  defaultPort: number;
  start: (listen: { port: number; host: string }) => Promise<ToolServer>;
  describe: (url: string) => string;
}): void {
  const tag = `[${opts.name}]`;
  const main = async (): Promise<void> => {
    const port = Number(process.env[`${opts.envPrefix}_PORT`] ?? opts.defaultPort);
    const host = process.env[`${opts.envPrefix}_HOST`] ?? '127.0.0.1';
    const server = await opts.start({ port, host });
    console.log(`${tag} listening on ${opts.describe(server.url)}`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${tag} ${signal} received, shutting down`);
      const force = setTimeout(() => process.exit(0), 3000);
      force.unref();
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  };
  main().catch((err: unknown) => {
    console.error(`${tag} failed to start`, err);
    process.exit(1);
  });
}
