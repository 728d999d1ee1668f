/**
 * The demo's plumbing: numbered steps, real HTTP calls printed as curl, the
 * CLI run as `npm run cli`, checks that stop the demo at the first deviation,
 * and polling with a deadline.
 */
import { execFile } from 'node:child_process';
import {
  RequestSpec,
  Secret,
  bodyToSend,
  curlCommand,
  hideKeySecrets,
  mask,
  prettyJson,
  shellQuote,
} from './render';

/**
 * How long a command-line step may take: its own bound, not `DEMO_WAIT_MS` (the wait for the
 * agent, which a test shortens to 4 s; a CLI start on a busy machine can take longer).
 */
const COMMAND_TIMEOUT_MS = 60_000;

/** A step did not behave as the demo shows it; the demo stops with exit code 1. */
export class DemoFailure extends Error {}

export interface HttpAnswer {
  status: number;
  body: any;
}

export interface RunnerOptions {
  /** Per HTTP request. */
  requestTimeoutMs: number;
  /** How long to wait for something asynchronous (delivery, a reply, an opt-out). */
  waitTimeoutMs: number;
  write: (text: string) => void;
}

export class Runner {
  private step = 0;
  private title = '';
  /** Secret values that must never appear in the output. */
  private readonly secrets: string[] = [];

  constructor(private readonly opts: RunnerOptions) {}

  get currentStep(): string {
    return `step ${this.step} (${this.title})`;
  }

  /** Values masked wherever they would be printed. */
  hide(...values: string[]): void {
    this.secrets.push(...values.filter(Boolean));
  }

  heading(title: string, explanation?: string): void {
    this.step++;
    this.title = title;
    const head = `── ${this.step}. ${title} `;
    this.print(`\n${head}${'─'.repeat(Math.max(3, 78 - head.length))}`);
    if (explanation) this.print(explanation);
  }

  print(text: string): void {
    this.opts.write(`${text}\n`);
  }

  note(text: string): void {
    this.print(`# ${text}`);
  }

  ok(text: string): void {
    this.print(`✓ ${text}`);
  }

  /** Shows a JSON value (masked, trimmed). */
  show(value: unknown, maxLines?: number): void {
    this.print(prettyJson(mask(value, this.secrets), maxLines));
  }

  check(condition: unknown, message: string): asserts condition {
    if (!condition) throw new DemoFailure(message);
  }

  /** Performs the request; never prints. */
  async send(req: RequestSpec): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (req.bearer) headers.authorization = `Bearer ${req.bearer.value}`;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(req.url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : bodyToSend(req.body),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new DemoFailure(`${req.method} ${req.url} got no answer (${why})`);
    }
    const text = await res.text();
    let body: unknown = text || undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: shown as text */
    }
    return { status: res.status, body };
  }

  /**
   * Prints the curl, performs it, prints the status and answer, and checks the
   * status. `view` selects what to print from a long answer (the check still
   * sees all of it).
   */
  async call(
    req: RequestSpec,
    expectStatus: number,
    opts: { view?: (body: any) => unknown; maxLines?: number } = {},
  ): Promise<any> {
    this.print(curlCommand(req));
    const res = await this.send(req);
    this.printAnswer(res, opts);
    this.expectStatus(req, res, expectStatus);
    return res.body;
  }

  /**
   * Prints the curl once, then repeats it until `done` holds for an answer with
   * the expected status, and prints that answer. A deadline ends it with a
   * failure that shows the last answer.
   */
  async poll(
    req: RequestSpec,
    what: string,
    done: (body: any) => boolean,
    opts: { view?: (body: any) => unknown; maxLines?: number; intervalMs?: number } = {},
  ): Promise<any> {
    this.print(curlCommand(req));
    this.note(`repeated until ${what} (up to ${Math.round(this.opts.waitTimeoutMs / 1000)} s)`);
    const started = Date.now();
    let last: HttpAnswer | undefined;
    for (;;) {
      last = await this.send(req);
      if (last.status === 200 && done(last.body)) break;
      if (Date.now() - started > this.opts.waitTimeoutMs) {
        this.printAnswer(last, opts);
        throw new DemoFailure(
          `${req.method} ${req.url}: no answer showed ${what} within ${this.opts.waitTimeoutMs} ms (last: HTTP ${last.status})`,
        );
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
    }
    this.printAnswer(last, opts);
    this.note(`${what} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return last.body;
  }

  /** Runs a command-line program, printed as `display` (what the user types). */
  async command(display: string[], program: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
    this.print(`$ ${display.map(shellQuote).join(' ')}`);
    const [file, ...args] = program;
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(file, args, { env, cwd, timeout: COMMAND_TIMEOUT_MS }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
    if (result.code !== 0) {
      throw new DemoFailure(
        `${display.join(' ')} exited with ${result.code}: ${hideKeySecrets(result.stderr.trim() || result.stdout.trim() || '(no output; it may have run past its time)')}`,
      );
    }
    return result.stdout;
  }

  private printAnswer(res: HttpAnswer, opts: { view?: (body: any) => unknown; maxLines?: number }): void {
    this.print(`HTTP ${res.status}`);
    let shown: unknown = res.body;
    if (opts.view && res.status < 300) {
      try {
        shown = opts.view(res.body);
      } catch {
        shown = res.body;
      }
    }
    this.show(shown, opts.maxLines);
  }

  private expectStatus(req: RequestSpec, res: HttpAnswer, expected: number): void {
    if (res.status !== expected) {
      throw new DemoFailure(
        `${req.method} ${req.url} answered HTTP ${res.status}, expected ${expected}: ${JSON.stringify(mask(res.body, this.secrets))}`,
      );
    }
  }
}

export { Secret };
