import fc from 'fast-check';
import {
  parseAccessLine,
  parseJsonLine,
  parseLine,
  parsePlatformLine,
  parseSyslog3164,
  parseSyslog5424,
  parseTextLine,
  splitLambdaPrefix,
} from '../../domain/logs/parsers';
import { lambdaReportLine, lambdaTextLine } from '../private/cwl-payload';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);
const anyLine = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '<',
    '<13>',
    '<13>1 ',
    '{',
    '{"a":',
    'START RequestId: ',
    'REPORT RequestId: x\t',
    '2024-01-01T00:00:00.000Z\t',
  ),
  fc
    .tuple(
      fc.constantFrom(
        '<34>1 ',
        '<999>',
        '1.2.3.4 - - [',
        'Jan  1 ',
        '{"_aws":',
        '2024-01-01T00:00:00.000Z\tundefined\tINFO\t',
      ),
      fc.string({ maxLength: 80 }),
    )
    .map(([a, b]) => a + b),
);

describe('every parser', () => {
  it.each([
    ['json', (l: string) => parseJsonLine(l)],
    ['syslog 5424', (l: string) => parseSyslog5424(l)],
    ['syslog 3164', (l: string) => parseSyslog3164(l, NOW)],
    ['access', (l: string) => parseAccessLine(l)],
    ['lambda platform', (l: string) => parsePlatformLine(l)],
    ['lambda prefix', (l: string) => splitLambdaPrefix(l)],
    ['text', (l: string) => parseTextLine(l)],
    ['sniffing', (l: string) => parseLine(l, NOW)],
  ])('%s never throws on arbitrary strings', (_name, parse) => {
    fc.assert(
      fc.property(anyLine, (line) => {
        parse(line);
      }),
      { numRuns: 1000 },
    );
  });

  it('stays linear on long hostile lines (no regex backtracking blow-up)', () => {
    const hostile = [
      `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "${'\\"'.repeat(50_000)}`,
      `<13>Jan  1 00:00:00 ${'a'.repeat(100_000)}`,
      `2024-01-01T00:00:00.000Z\t${'0'.repeat(100_000)}`,
      `<13>1 2024-01-01T00:00:00Z h a p m [${'x="'.repeat(30_000)}`,
    ];
    for (const line of hostile) expect(parseLine(line, NOW).parser).toBeDefined();
  });
});

describe('JSON lines', () => {
  it('reads our Logger format', () => {
    const line = JSON.stringify({
      timestamp: '2024-06-15T11:59:59.123Z',
      level: 'ERROR',
      service: 'maif-search',
      event: 'artifact_creation_failed',
      trace_id: '1-abc-def',
      user_id: 'u-1',
      duration_ms: 12.5,
    });
    expect(parseJsonLine(line)).toEqual({
      parser: 'json',
      timestamp: '2024-06-15T11:59:59.123Z',
      level: 'ERROR',
      message: 'artifact_creation_failed',
      traceId: '1-abc-def',
      fields: { service: 'maif-search', event: 'artifact_creation_failed', user_id: 'u-1', duration_ms: 12.5 },
    });
  });

  it('reads pino and Powertools lines', () => {
    const pino = parseJsonLine('{"level":50,"time":1718452800000,"pid":7,"hostname":"h","msg":"boom"}');
    expect(pino).toMatchObject({ level: 'ERROR', timestamp: 1718452800000, message: 'boom', fields: { pid: 7 } });
    const powertools = parseJsonLine(
      '{"level":"WARN","message":"slow","timestamp":"2024-06-15T12:00:00.000+00:00","service":"s","xray_trace_id":"1-a-b"}',
    );
    expect(powertools).toMatchObject({ level: 'WARN', message: 'slow', traceId: '1-a-b', timestamp: NOW });
  });

  it('lifts the fields of a structured message in Lambda JSON log format', () => {
    const line =
      '{"timestamp":"2024-06-15T12:00:00.000Z","level":"INFO","requestId":"r-1","message":{"msg":"hi","user_id":"u-9"}}';
    expect(parseJsonLine(line)).toMatchObject({ message: 'hi', fields: { requestId: 'r-1', user_id: 'u-9' } });
  });

  it('keeps a foreign source field as log_source', () => {
    expect(parseJsonLine('{"source":"kafka","msg":"x"}')?.fields).toEqual({ log_source: 'kafka' });
  });

  it('summarizes EMF documents without keeping _aws, so metrics are not extracted twice', () => {
    const emf = {
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          { Namespace: 'MAIF', Dimensions: [['service']], Metrics: [{ Name: 'latency', Unit: 'Milliseconds' }] },
        ],
      },
      service: 'maif',
      latency: 12,
    };
    const parsed = parseJsonLine(JSON.stringify(emf));
    expect(parsed).toMatchObject({
      parser: 'emf',
      timestamp: NOW,
      fields: { latency: 12, emf: { namespaces: ['MAIF'], metrics: ['latency'] } },
    });
    expect(parsed?.fields._aws).toBeUndefined();
  });

  it('returns undefined for JSON that is not an object', () => {
    expect(parseJsonLine('[1,2]')).toBeUndefined();
    expect(parseJsonLine('{not json')).toBeUndefined();
  });

  it('round-trips generated objects: every field survives, the header is read', () => {
    const key = fc
      .stringMatching(/^[a-z_][a-z0-9_]{0,10}$/)
      .filter(
        (k) =>
          ![
            'timestamp',
            'time',
            'level',
            'severity',
            'message',
            'msg',
            'trace_id',
            'traceId',
            'xray_trace_id',
            'source',
            '_aws',
            'type',
          ].includes(k),
      );
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.jsonValue({ maxDepth: 2 })),
        fc.constantFrom('DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'),
        fc.string(),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (fields, level, message, ms) => {
          const timestamp = new Date(ms).toISOString();
          const parsed = parseJsonLine(JSON.stringify({ timestamp, level, message, ...fields }));
          expect(parsed).toEqual({
            parser: 'json',
            timestamp,
            level,
            message,
            traceId: undefined,
            fields: JSON.parse(JSON.stringify(fields)),
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('syslog lines', () => {
  it('reads an RFC 5424 line with structured data and a BOM', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \uFEFFAn application event';
    expect(parseSyslog5424(line)).toEqual({
      parser: 'syslog5424',
      timestamp: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      level: 'INFO',
      message: 'An application event',
      fields: {
        facility: 20,
        severity: 5,
        hostname: 'mymachine.example.com',
        app_name: 'evntslog',
        procid: null,
        msgid: 'ID47',
        service: 'evntslog',
        structured_data: {
          'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
          'examplePriority@32473': { class: 'high' },
        },
      },
    });
  });

  it('reads RFC 3164 lines with and without PRI, and with no hostname', () => {
    expect(parseSyslog3164("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed", NOW)).toMatchObject({
      timestamp: Date.UTC(2023, 9, 11, 22, 14, 15),
      level: 'CRITICAL',
      message: "'su root' failed",
      fields: { facility: 4, severity: 2, hostname: 'mymachine', app_name: 'su', procid: '230' },
    });
    expect(parseSyslog3164('Jun  1 08:00:00 web-1 nginx: started', NOW)).toMatchObject({
      timestamp: Date.UTC(2024, 5, 1, 8),
      message: 'started',
      fields: { hostname: 'web-1', app_name: 'nginx', procid: null },
    });
    expect(parseSyslog3164('<13>Jun  1 08:00:00 cron: ran', NOW)).toMatchObject({
      fields: { hostname: null, app_name: 'cron' },
    });
  });

  const token = (max: number) => fc.stringMatching(new RegExp(`^[!-~]{1,${max}}$`)).filter((s) => s !== '-');
  const sdName = fc.stringMatching(/^[!#-<>-\\^-~]{1,32}$/); // printable, no '=', ']', '"', space
  const sdValue = fc.string({ maxLength: 20 });

  it('round-trips generated RFC 5424 lines to their fields', () => {
    const escapeSd = (v: string) => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { nil: undefined }),
        fc.option(token(255), { nil: null }),
        fc.option(token(48), { nil: null }),
        fc.option(token(128), { nil: null }),
        fc.option(token(32), { nil: null }),
        fc.option(
          fc.dictionary(sdName, fc.dictionary(sdName, sdValue, { minKeys: 0, maxKeys: 3 }), { minKeys: 1, maxKeys: 3 }),
          { nil: null },
        ),
        fc.string({ maxLength: 60 }),
        (pri, ms, host, app, proc, msgid, sd, msg) => {
          const field = (v: string | null) => v ?? '-';
          const sdText =
            sd === null
              ? '-'
              : Object.entries(sd)
                  .map(
                    ([id, params]) =>
                      `[${id}${Object.entries(params)
                        .map(([k, v]) => ` ${k}="${escapeSd(v)}"`)
                        .join('')}]`,
                  )
                  .join('');
          const time = ms === undefined ? '-' : new Date(ms).toISOString();
          const body = msg.startsWith('\uFEFF') ? msg.slice(1) : msg;
          const line = `<${pri}>1 ${time} ${field(host)} ${field(app)} ${field(proc)} ${field(msgid)} ${sdText}${body === '' ? '' : ` ${body}`}`;
          const parsed = parseSyslog5424(line);
          expect(parsed).toBeDefined();
          expect(parsed?.timestamp).toBe(ms);
          expect(parsed?.message).toBe(body);
          expect(parsed?.fields).toMatchObject({
            facility: pri >> 3,
            severity: pri & 7,
            hostname: host,
            app_name: app,
            procid: proc,
            msgid,
            structured_data: sd === null ? null : JSON.parse(JSON.stringify(sd)),
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips generated RFC 3164 lines to their fields', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.date({ min: new Date(Date.UTC(2024, 0, 1)), max: new Date(Date.UTC(2024, 5, 15, 12)), noInvalidDate: true }),
        fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
        fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_.-]{0,20}$/),
        fc.option(fc.integer({ min: 1, max: 99999 }), { nil: undefined }),
        fc.string({ maxLength: 60 }),
        (pri, date, host, tag, pid, msg) => {
          const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
          const pad = (n: number) => String(n).padStart(2, '0');
          const stamp = `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
          const line = `<${pri}>${stamp} ${host} ${tag}${pid === undefined ? '' : `[${pid}]`}: ${msg}`;
          const parsed = parseSyslog3164(line, NOW);
          expect(parsed).toMatchObject({
            timestamp: d.getTime(),
            message: msg,
            fields: {
              facility: pri >> 3,
              severity: pri & 7,
              hostname: host,
              app_name: tag,
              procid: pid === undefined ? null : String(pid),
            },
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('access lines', () => {
  it('reads the combined format', () => {
    const line =
      '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
    expect(parseAccessLine(line)).toEqual({
      parser: 'access',
      timestamp: Date.UTC(2000, 9, 10, 20, 55, 36),
      level: 'INFO',
      message: 'GET /apache_pb.gif HTTP/1.0 200',
      fields: {
        remote_addr: '127.0.0.1',
        remote_user: 'frank',
        time_local: '10/Oct/2000:13:55:36 -0700',
        request: 'GET /apache_pb.gif HTTP/1.0',
        method: 'GET',
        path: '/apache_pb.gif',
        protocol: 'HTTP/1.0',
        status: 200,
        body_bytes_sent: 2326,
        http_referer: 'http://www.example.com/start.html',
        http_user_agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
      },
    });
  });

  it('reads the common format, nginx escapes and trailing custom fields', () => {
    expect(parseAccessLine('::1 - - [01/Jan/2024:00:00:00 +0000] "POST /x HTTP/1.1" 503 -')).toMatchObject({
      level: 'ERROR',
      fields: { status: 503, body_bytes_sent: 0, remote_user: null },
    });
    const nginx =
      '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /q?a=\\x22b\\x22 HTTP/1.1" 404 12 "-" "curl/8" rt=0.004';
    expect(parseAccessLine(nginx)).toMatchObject({
      level: 'WARN',
      fields: { path: '/q?a="b"', http_referer: null, http_user_agent: 'curl/8', extra: 'rt=0.004' },
    });
  });

  it('round-trips generated combined lines to their fields', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const quoted = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n'));
    const apacheEscape = (v: string) => v.replace(/[\\"]/g, (c) => `\\${c}`);
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.option(fc.stringMatching(/^[a-z]{1,10}$/), { nil: null }),
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.constantFrom('GET', 'POST', 'DELETE'),
        fc.webPath(),
        fc.integer({ min: 100, max: 599 }),
        fc.nat(),
        quoted,
        quoted,
        (ip, user, seconds, method, path, status, size, referer, agent) => {
          const d = new Date(seconds * 1000);
          const pad = (n: number) => String(n).padStart(2, '0');
          const time = `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
          const target = path === '' ? '/' : path.replace(/ /g, '%20');
          const line = `${ip} - ${user ?? '-'} [${time}] "${method} ${target} HTTP/1.1" ${status} ${size} "${apacheEscape(referer)}" "${apacheEscape(agent)}"`;
          expect(parseAccessLine(line)).toMatchObject({
            timestamp: seconds * 1000,
            fields: {
              remote_addr: ip,
              remote_user: user,
              method,
              path: target,
              status,
              body_bytes_sent: size,
              http_referer: referer === '-' ? null : referer,
              http_user_agent: agent === '-' ? null : agent,
            },
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("Lambda's own lines", () => {
  it('turns START, END and REPORT into platform events', () => {
    const id = '8f5e2a3c-1b7d-4c1e-9a77-3d2b1c0e9f10';
    expect(parsePlatformLine(`START RequestId: ${id} Version: $LATEST`)?.fields).toEqual({
      event: 'platform.start',
      request_id: id,
      version: '$LATEST',
    });
    expect(parsePlatformLine(`END RequestId: ${id}`)?.fields).toEqual({ event: 'platform.end', request_id: id });
    const report = parsePlatformLine(
      `${lambdaReportLine(id, 12.34, 256, 80, 170.5)}\nXRAY TraceId: 1-65a-abc\tSegmentId: 0a1b\tSampled: true\t`,
    );
    expect(report).toMatchObject({
      parser: 'lambda',
      traceId: '1-65a-abc',
      fields: {
        event: 'platform.report',
        request_id: id,
        duration_ms: 12.34,
        billed_duration_ms: 13,
        memory_size_mb: 256,
        max_memory_used_mb: 80,
        init_duration_ms: 170.5,
        segment_id: '0a1b',
        sampled: true,
      },
    });
  });

  it('reads platform records of the JSON log format', () => {
    const line = JSON.stringify({
      time: '2024-06-15T12:00:00.000Z',
      type: 'platform.report',
      record: {
        requestId: 'r-1',
        metrics: { durationMs: 5.5, billedDurationMs: 6, memorySizeMB: 128, maxMemoryUsedMB: 60 },
        status: 'timeout',
      },
    });
    expect(parseLine(line, NOW)).toMatchObject({
      parser: 'lambda',
      level: 'ERROR',
      fields: { event: 'platform.report', request_id: 'r-1', duration_ms: 5.5, status: 'timeout' },
    });
  });

  it('strips the text-format prefix and parses the rest', () => {
    const parsed = parseLine(lambdaTextLine('{"event":"search_done","user_id":"u-1"}', 'WARN'), NOW);
    expect(parsed).toMatchObject({
      parser: 'json',
      level: 'WARN',
      timestamp: '2024-01-01T00:00:00.000Z',
      message: 'search_done',
      fields: { user_id: 'u-1', request_id: '8f5e2a3c-1b7d-4c1e-9a77-3d2b1c0e9f10' },
    });
    expect(parseLine(lambdaTextLine('plain words', 'ERROR'), NOW)).toMatchObject({
      parser: 'text',
      level: 'ERROR',
      message: 'plain words',
    });
    expect(
      parseLine('2024-01-01T00:00:03.000Z 8f5e2a3c-1b7d-4c1e-9a77-3d2b1c0e9f10 Task timed out after 3.00 seconds', NOW),
    ).toMatchObject({ level: 'ERROR' });
  });
});

describe('choosing the parser', () => {
  it('sniffs JSON, EMF, syslog, access lines and plain text', () => {
    expect(parseLine('{"level":"INFO","msg":"a"}', NOW).parser).toBe('json');
    expect(parseLine('{"_aws":{"CloudWatchMetrics":[]}}', NOW).parser).toBe('emf');
    expect(parseLine('<13>1 - - - - - -', NOW).parser).toBe('syslog5424');
    expect(parseLine('<13>Jan  1 00:00:00 h app: x', NOW).parser).toBe('syslog3164');
    expect(parseLine('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1', NOW).parser).toBe('access');
    expect(parseLine('{broken', NOW)).toMatchObject({ parser: 'text', message: '{broken' });
    expect(parseLine('[ERROR] disk full', NOW)).toMatchObject({ parser: 'text', level: 'ERROR' });
  });

  it('uses the configured parser and rejects lines it cannot read', () => {
    expect(() => parseLine('plain', NOW, 'json')).toThrow(/line is not json/);
    expect(() => parseLine('plain', NOW, 'nginx')).toThrow(/line is not nginx/);
    expect(parseLine('<13>1 - - - - - -', NOW, 'syslog').parser).toBe('syslog5424');
    // Lambda's own lines are recognized whatever the configured parser
    expect(parseLine('END RequestId: r', NOW, 'nginx').parser).toBe('lambda');
  });
});
