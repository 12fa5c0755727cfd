import { Logger, type LoggerOptions } from '../../layers/instrumentation/logger';
import { DEFAULT_REDACT_KEYS, Redactor } from '../../layers/instrumentation/private/log-redact';

interface ParsedLine {
  event: string;
  metadata: Record<string, unknown>;
}

function logOne(fields: Record<string, unknown>, options: LoggerOptions = {}, event = 'event') {
  const lines: string[] = [];
  const logger = new Logger({ env: {}, destination: (line) => lines.push(line), ...options });
  logger.info(event, fields);
  return { line: lines[0], parsed: JSON.parse(lines[0]) as ParsedLine };
}

describe('Logger redaction of keys', () => {
  it('redacts every default key, whatever its case or separator', () => {
    const fields = Object.fromEntries(
      DEFAULT_REDACT_KEYS.map((k) => [k.toUpperCase().replace(/_/g, '-'), 'secret-value']),
    );

    const { line, parsed } = logOne(fields);

    expect(line).not.toContain('secret-value');
    for (const value of Object.values(parsed.metadata)) expect(value).toBe('[REDACTED]');
  });

  it('redacts at any depth, in arrays, Maps and bound fields', () => {
    const lines: string[] = [];
    const logger = new Logger({ env: {}, destination: (line) => lines.push(line) });
    const child = logger.child({ config: { slack: { webhook_url: 'w' } } });

    child.info('x', {
      request: { headers: { Authorization: 'Basic abc', accept: 'json' } },
      list: [{ apiKey: 'k1' }, { nested: [{ 'X-Api-Key': 'k2' }] }],
      map: new Map([['password', 'p']]),
    });

    const metadata = JSON.parse(lines[0]).metadata;
    expect(metadata).toEqual({
      config: { slack: { webhook_url: '[REDACTED]' } },
      request: { headers: { Authorization: '[REDACTED]', accept: 'json' } },
      list: [{ apiKey: '[REDACTED]' }, { nested: [{ 'X-Api-Key': '[REDACTED]' }] }],
      map: { password: '[REDACTED]' },
    });
  });

  it('redacts a whole object under a secret key', () => {
    const { parsed } = logOne({ credentials: { user: 'u', pass: 'p' } });

    expect(parsed.metadata.credentials).toBe('[REDACTED]');
  });

  it('adds configured keys and regular expressions, or replaces the defaults', () => {
    const extra = logOne({ ssn: '1', card_number: '2', token: '3' }, { redact: { keys: ['SSN', /^card_/] } });
    const only = logOne({ ssn: '1', token: '3' }, { redact: { keys: ['ssn'], defaults: false } });

    expect(extra.parsed.metadata).toEqual({ ssn: '[REDACTED]', card_number: '[REDACTED]', token: '[REDACTED]' });
    expect(only.parsed.metadata).toEqual({ ssn: '[REDACTED]', token: '3' });
  });

  it('leaves look-alike keys such as max_tokens and status alone', () => {
    const { parsed } = logOne({ max_tokens: 512, status: 'ok', token_count: 3 });

    expect(parsed).toMatchObject({ status: 'ok', metadata: { max_tokens: 512, token_count: 3 } });
  });
});

describe('Logger redaction of values', () => {
  it('masks e-mail addresses, keeping the first character and the domain', () => {
    const { parsed } = logOne({ to: 'paul.smith@company.com', cc: ['a@b.io and x_y@mail.example.org'] });

    expect(parsed.metadata).toEqual({ to: 'p***@company.com', cc: ['a***@b.io and x***@mail.example.org'] });
  });

  it('replaces the path of Slack and other webhook URLs and keeps ordinary URLs', () => {
    const { parsed } = logOne({
      slack: 'posting to https://hooks.slack.com/services/T000/B000/XXXXXXXX now',
      discord: 'https://discord.com/api/webhooks/123/abc',
      teams: 'https://maif.webhook.office.com/webhookb2/xyz',
      docs: 'https://docs.aws.amazon.com/lambda/',
    });

    expect(parsed.metadata).toEqual({
      slack: 'posting to https://hooks.slack.com/[REDACTED] now',
      discord: 'https://discord.com/[REDACTED]',
      teams: 'https://maif.webhook.office.com/[REDACTED]',
      docs: 'https://docs.aws.amazon.com/lambda/',
    });
  });

  it('replaces bearer tokens in any string, the event name included', () => {
    const { parsed } = logOne({ header: 'Bearer eyJhbGciOi.payload.sig=' }, {}, 'sent bearer abc123 to p@x.com');

    expect(parsed.event).toBe('sent bearer [REDACTED] to p***@x.com');
    expect(parsed.metadata.header).toBe('Bearer [REDACTED]');
  });

  it('applies configured patterns with their replacement', () => {
    const { parsed } = logOne(
      { note: 'card 4111-1111-1111-1111 used' },
      { redact: { patterns: [{ pattern: /\b(?:\d{4}-){3}\d{4}\b/, replace: '[CARD]', hint: '-' }] } },
    );

    expect(parsed.metadata.note).toBe('card [CARD] used');
  });

  it('redacts error messages and stack traces too', () => {
    const lines: string[] = [];
    const logger = new Logger({ env: {}, destination: (line) => lines.push(line) });

    logger.error('failed', new Error('could not notify ops@maif.io'));

    expect(lines[0]).not.toContain('ops@maif.io');
    expect(JSON.parse(lines[0]).error.message).toBe('could not notify o***@maif.io');
  });

  it('rejects a pattern that is not a RegExp, naming it', () => {
    expect(() => new Redactor({ patterns: [{ pattern: 'x' as never }] })).toThrow(
      'redact.patterns[0].pattern: expected a RegExp, received string',
    );
  });

  it('leaves a long local part before a domain without a dot untouched', () => {
    const hostile = `${'a'.repeat(8000)}@${'b'.repeat(100)}`;

    const { parsed } = logOne({ s: hostile }, { maxStringLength: 16_384, maxLineBytes: 200_000 });

    expect(parsed.metadata.s).toBe(hostile);
  });
});
