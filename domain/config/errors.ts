/** The error `resolveConfig` throws: every problem of the configuration, one per line. */

/** `['alerting', 'rules', 2, 'duration']` -> `alerting.rules[2].duration`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(config)';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One line per problem: `<path>: <value received> is not <what is allowed>`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}
