/**
 * Replays a Dockerfile's stages without Docker (our machines have no Docker
 * engine): each stage's COPY lines copy exactly the files they name (minus
 * .dockerignore) into an empty folder standing for the stage's WORKDIR, and
 * its RUN lines run there. Only what our Dockerfile uses is understood; any
 * other instruction fails loudly rather than being skipped.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Instruction {
  op: string;
  /** Flags such as --from=build. */
  flags: Record<string, string>;
  /** Arguments (JSON form parsed, shell form split on blanks except for RUN/CMD). */
  args: string[];
  /** RUN/CMD in shell form: the command line as written. */
  shell?: string;
}

export interface Stage {
  name?: string;
  image: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  if (pending) logical.push(pending);

  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!m) throw new Error(`cannot parse: ${line}`);
      stages.push({ image: m[1], name: m[2], instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`instruction before FROM: ${line}`);
    const flags: Record<string, string> = {};
    let body = rest;
    for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(body); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(body)) {
      flags[m[1]] = m[2];
      body = body.slice(m[0].length);
    }
    if (body.startsWith('[')) {
      stage.instructions.push({ op: upper, flags, args: JSON.parse(body) as string[] });
    } else {
      const shellForm = upper === 'RUN' || upper === 'CMD' || upper === 'ENTRYPOINT';
      stage.instructions.push({
        op: upper,
        flags,
        args: shellForm ? [] : body.split(/\s+/).filter(Boolean),
        shell: shellForm ? body : undefined,
      });
    }
  }
  return stages;
}

/** .dockerignore patterns as a test on context-relative paths (no `!` exceptions). */
export function dockerignore(contextDir: string): (relPath: string) => boolean {
  const file = path.join(contextDir, '.dockerignore');
  const patterns = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : [];
  const regexes = patterns.map((p) => {
    if (p.startsWith('!')) throw new Error(`.dockerignore exceptions (${p}) are not understood here`);
    const clean = p.replace(/^\/+/, '').replace(/\/+$/, '');
    let re = '';
    for (let i = 0; i < clean.length; i++) {
      const c = clean[i];
      if (c === '*' && clean[i + 1] === '*') {
        re += '.*';
        i++;
        if (clean[i + 1] === '/') i++;
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    // A pattern that matches a folder excludes everything inside it.
    return new RegExp(`^${re}(/.*)?$`);
  });
  return (relPath) => regexes.some((r) => r.test(relPath));
}

function copyInto(src: string, dest: string, rel: string, ignored: (rel: string) => boolean): void {
  if (ignored(rel)) return;
  const stat = fs.statSync(src);
  if (stat.isDirectory()) {
    fs.mkdirSync(dest, { recursive: true });
    for (const entry of fs.readdirSync(src)) {
      copyInto(path.join(src, entry), path.join(dest, entry), path.posix.join(rel, entry), ignored);
    }
  } else {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
  }
}

export interface ReplayOptions {
  contextDir: string;
  /** Folder standing for the stage's WORKDIR. */
  workDir: string;
  /** Folders of earlier stages, by name, for COPY --from=<name>. */
  stageDirs?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/**
 * Replays one stage into opts.workDir: COPY (from the context or an earlier
 * stage's folder) and RUN (with sh -c in the folder). Returns the files it
 * copied from the context, relative to the context.
 */
export function replayStage(stage: Stage, opts: ReplayOptions): string[] {
  const ignored = dockerignore(opts.contextDir);
  const copied: string[] = [];
  let workdir: string | undefined;
  const target = (dest: string): string => {
    const abs = path.posix.isAbsolute(dest) ? dest : path.posix.join(workdir ?? '/', dest);
    if (!workdir || (abs !== workdir && !abs.startsWith(`${workdir}/`))) {
      throw new Error(`COPY to ${dest} lands outside WORKDIR ${workdir ?? '(none)'}`);
    }
    return path.join(opts.workDir, path.posix.relative(workdir, abs));
  };
  for (const ins of stage.instructions) {
    switch (ins.op) {
      case 'WORKDIR':
        if (workdir && workdir !== ins.args[0]) throw new Error('a second WORKDIR is not understood here');
        workdir = ins.args[0];
        break;
      case 'ENV':
      case 'USER':
      case 'CMD':
      case 'EXPOSE':
        break; // runtime settings: nothing to build
      case 'COPY': {
        const sources = ins.args.slice(0, -1);
        const dest = ins.args[ins.args.length - 1];
        const toDir = dest.endsWith('/') || dest === '.' || sources.length > 1;
        const fromStage = ins.flags.from;
        for (const source of sources) {
          let src: string;
          if (fromStage) {
            const stageDir = opts.stageDirs?.[fromStage];
            if (!stageDir || !workdir) throw new Error(`COPY --from=${fromStage}: no such stage folder`);
            // Paths of an earlier stage are absolute in its WORKDIR, which is this stage's too.
            src = path.join(stageDir, path.posix.relative(workdir, source));
          } else {
            src = path.join(opts.contextDir, source);
          }
          if (!fs.existsSync(src)) throw new Error(`COPY ${source}: not found (${src})`);
          const out = toDir ? path.join(target(dest), path.basename(source)) : target(dest);
          const isDir = fs.statSync(src).isDirectory();
          // COPY of a folder copies its contents into dest.
          if (fromStage) {
            fs.cpSync(src, isDir ? target(dest) : out, { recursive: true, verbatimSymlinks: true });
          } else {
            copyInto(src, isDir ? target(dest) : out, path.posix.normalize(source), ignored);
            copied.push(source);
          }
        }
        break;
      }
      case 'RUN': {
        const [cmd, args] =
          ins.shell !== undefined ? ['sh', ['-c', ins.shell]] : [ins.args[0], ins.args.slice(1)];
        opts.log?.(`RUN ${ins.shell ?? ins.args.join(' ')}`);
        const r = spawnSync(cmd, args, { cwd: opts.workDir, env: opts.env, encoding: 'utf8' });
        if (r.status !== 0) {
          throw new Error(
            `RUN ${ins.shell ?? ins.args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`,
          );
        }
        break;
      }
      default:
        throw new Error(`Dockerfile instruction ${ins.op} is not understood by this replay`);
    }
  }
  return copied;
}
