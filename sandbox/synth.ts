/**
 * The stack's synthesized CloudFormation template, for the sandbox: the alert table is created
 * from its key schema and the escalation runs its state machine definition. Synthesis runs in a
 * child process (a few seconds of CPU that must not stall the workload's event loop) and its
 * result is cached under build/sandbox/ by a hash of the configuration and the kit's CDK code.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
/** Where synthesized templates are cached (a cold start is a start without it). */
export const SANDBOX_CACHE_DIR = join(ROOT, 'build', 'sandbox');

export interface TemplateJson {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The cache key: the configuration's text, the environment, and the newest change to the kit's CDK code. */
function cacheKey(configPath: string, env: string): string {
  return createHash('sha256')
    .update(readFileSync(configPath))
    .update(`\0${env}\0${newestMtime(join(ROOT, 'lib'))}`)
    .digest('hex')
    .slice(0, 16);
}

/** Synthesizes (or reads from the cache) the template of `env` for the configuration at `configPath`. */
export async function synthesizeTemplate(
  configPath: string,
  env: string,
): Promise<{ template: TemplateJson; cached: boolean }> {
  mkdirSync(SANDBOX_CACHE_DIR, { recursive: true });
  const file = join(SANDBOX_CACHE_DIR, `template-${env}-${cacheKey(configPath, env)}.json`);
  if (existsSync(file)) return { template: JSON.parse(readFileSync(file, 'utf8')) as TemplateJson, cached: true };
  const tmp = `${file}.${process.pid}.tmp`;
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'synth-main.ts'), configPath, env, tmp], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code === 0) return done();
      const message = stderr
        .split('\n')
        .filter((l) => l.trim() && !l.includes('deprecated'))
        .slice(0, 6)
        .join(' | ');
      fail(new Error(`cdk synth of environment '${env}' failed (exit ${code}): ${message}`));
    });
  });
  renameSync(tmp, file);
  return { template: JSON.parse(readFileSync(file, 'utf8')) as TemplateJson, cached: false };
}
