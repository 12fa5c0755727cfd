/**
 * `defineConfig` (identity, for editor help) and `resolveConfig`: merge one environment's
 * overrides over the base, apply defaults, validate, and either return the resolved
 * configuration or throw a `ConfigError` listing every problem, one per line.
 */

import type { z } from 'zod';
import { show } from '../../layers/instrumentation/units';
import { isRecord } from '../records';
import { crossCheck } from './checks';
import { ConfigError, formatPath } from './errors';
import type { IssuePath } from './problems';
import {
  baseConfigSchema,
  ENVIRONMENT_NAME_RE,
  environmentTargetSchema,
  type ObservabilityConfig,
  type ResolvedConfig,
} from './schema';

type Obj = Record<string, unknown>;

/** Returns `config` unchanged, typed: `export default defineConfig({ ... })`. */
export function defineConfig(config: ObservabilityConfig): ObservabilityConfig {
  return config;
}

/** Objects merge key by key; arrays and scalars in `override` replace; `undefined` keeps the base. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isRecord(base) || !isRecord(override)) return override;
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(override)) {
    // defineProperty, not assignment: a '__proto__' key stays data instead of swapping the prototype.
    const merged = deepMerge(Object.hasOwn(base, key) ? base[key] : undefined, value);
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const ARTICLES: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  int: 'an integer',
  string: 'a string',
  number: 'a finite number',
  boolean: 'a boolean (true or false)',
};

/** Messages for the issues no schema-level error function has worded. */
function fallbackMessage(iss: z.core.$ZodRawIssue): string {
  const received = show(iss.input);
  switch (iss.code) {
    case 'invalid_type':
      return `${received} is not ${ARTICLES[iss.expected] ?? `a ${iss.expected}`}`;
    case 'invalid_value':
      return `${received} is not one of ${iss.values.map((v) => show(v)).join(', ')}`;
    case 'too_small':
      return `${received} is not ${iss.inclusive ? 'at least' : 'more than'} ${String(iss.minimum)}${iss.origin === 'array' ? ' items long' : ''}`;
    case 'too_big':
      return `${received} is not ${iss.inclusive ? 'at most' : 'less than'} ${String(iss.maximum)}${iss.origin === 'array' ? ' items long' : ''}`;
    case 'unrecognized_keys':
      return `${iss.keys.map((k) => `'${k}'`).join(', ')} is not an allowed key`;
    default:
      return `${received} is not valid here`;
  }
}

function has(root: unknown, path: IssuePath): boolean {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return false;
    if (!Object.hasOwn(node, key)) return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node !== undefined;
}

/** Validates `config` for environment `env`; throws `ConfigError` with every problem. */
export function resolveConfig(config: ObservabilityConfig, env: string): ResolvedConfig {
  if (!isRecord(config)) throw new ConfigError([`(config): ${show(config)} is not an object`]);
  const problems: string[] = [];
  const { environments = {}, ...base } = config as Obj & { environments?: unknown };

  let override: Obj = {};
  if (!isRecord(environments)) {
    problems.push(`environments: ${show(environments)} is not an object of environment overrides`);
  } else {
    for (const name of Object.keys(environments)) {
      if (!ENVIRONMENT_NAME_RE.test(name)) {
        problems.push(
          `environments: ${show(name)} is not an environment name (lowercase letters, digits and -, e.g. dev, staging, prod)`,
        );
      }
    }
    const names = Object.keys(environments);
    const entry = Object.hasOwn(environments, env) ? environments[env] : undefined;
    if (entry === undefined) {
      problems.push(
        `env: ${show(env)} is not an environment of this configuration (${names.length > 0 ? `allowed: ${names.join(', ')}` : 'environments is empty'})`,
      );
    } else if (!isRecord(entry)) {
      problems.push(`environments.${env}: ${show(entry)} is not an object of overrides`);
    } else {
      override = entry;
    }
  }

  const { account, region, environments: nested, ...overrides } = override;
  if (nested !== undefined) {
    problems.push(`environments.${env}: 'environments' is not an allowed key in an environment's overrides`);
  }
  const target = environmentTargetSchema.safeParse({ account, region });
  for (const issue of target.error?.issues ?? []) {
    problems.push(`${formatPath(['environments', env, ...issue.path])}: ${issue.message}`);
  }

  const merged = deepMerge(base, overrides);
  // Blame the environment when the faulty value came from its overrides.
  const where = (path: IssuePath): string => formatPath(has(overrides, path) ? ['environments', env, ...path] : path);

  const crossProblems = crossCheck(merged);
  // A secret value is reported once, by crossCheck, whose message does not repeat the secret.
  const secretPaths = new Set(crossProblems.filter((p) => p.secret).map((p) => formatPath(p.path)));
  const parsed = baseConfigSchema.safeParse(merged, { error: fallbackMessage });
  for (const issue of parsed.error?.issues ?? []) {
    const path = issue.path as IssuePath;
    if (secretPaths.has(formatPath(path))) continue;
    if (issue.code === 'unrecognized_keys') {
      // One line per key, each blamed on the base or on the environment it came from.
      const reason = issue.message.slice(issue.message.indexOf(' is not an allowed key'));
      for (const key of issue.keys) {
        const prefix = has(overrides, [...path, key]) ? ['environments', env] : [];
        problems.push(`${formatPath([...prefix, ...path])}: '${key}'${reason}`);
      }
      continue;
    }
    problems.push(`${where(path)}: ${issue.message}`);
  }
  for (const problem of crossProblems) {
    problems.push(`${where(problem.path)}: ${problem.message}`);
  }

  if (problems.length > 0 || !parsed.success) throw new ConfigError([...new Set(problems)]);
  return {
    ...parsed.data,
    environment: env,
    ...(typeof account === 'string' ? { account } : {}),
    ...(typeof region === 'string' ? { region } : {}),
  };
}
