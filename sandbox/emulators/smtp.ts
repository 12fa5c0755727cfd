/**
 * The sandbox's mail: an SMTP receiver (smtp-server on 127.0.0.1, no AUTH, no STARTTLS) that
 * keeps each message's envelope sender and recipients, Subject and plain text, and
 * `emailSender`, what the SNS e-mail subscription delivers with: nodemailer over plain SMTP.
 * The MIME reading is deliberately small: unfolded headers, RFC 2047 encoded words in the
 * subject, 7bit / 8bit / quoted-printable / base64 bodies, the first text/plain part of a
 * multipart message.
 */
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { LOOPBACK_HOST, notify } from './loopback';

export interface ReceivedMail {
  /** Date.now() at receipt. */
  readonly at: number;
  /** Envelope sender (MAIL FROM). */
  readonly from: string;
  /** Envelope recipients (RCPT TO). */
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
}

export interface SmtpReceiver {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The messages received so far (a copy). */
  received(): ReceivedMail[];
  onMessage(listener: (mail: ReceivedMail) => void): void;
  stop(): Promise<void>;
}

/** Largest message accepted (SNS e-mails are far smaller). */
export const MAX_MAIL_BYTES = 1024 * 1024;

/** Headers (lower-cased names, folded lines joined) and the body of one MIME entity. */
function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const normalized = raw.replace(/\r\n/g, '\n');
  const end = normalized.indexOf('\n\n');
  const head = end < 0 ? normalized : normalized.slice(0, end);
  const body = end < 0 ? '' : normalized.slice(end + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

/** A header parameter (`boundary`, `charset`) of a structured header value. */
function parameter(value: string | undefined, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

function charsetDecode(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

function quotedPrintable(text: string, underscoreIsSpace = false): Buffer {
  const source = (underscoreIsSpace ? text.replace(/_/g, ' ') : text).replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const hex = source.slice(i + 1, i + 3);
    if (source[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(source.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`); whitespace between two words goes. */
export function decodeHeader(value: string): string {
  // The message was read as latin1 (one character per byte): raw UTF-8 header bytes become text here.
  return Buffer.from(value, 'latin1')
    .toString('utf8')
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset: string, encoding: string, text: string) =>
      charsetDecode(
        encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : quotedPrintable(text, true),
        charset,
      ),
    );
}

/** The plain text of a MIME entity: its own body, or the first text/plain part of a multipart. */
function plainText(headers: Map<string, string>, body: string): string {
  const type = headers.get('content-type') ?? 'text/plain';
  if (/^multipart\//i.test(type)) {
    const boundary = parameter(type, 'boundary');
    if (!boundary) return body;
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const entity = splitEntity(part.replace(/^\n/, ''));
      const partType = entity.headers.get('content-type') ?? 'text/plain';
      if (/^(text\/plain|multipart\/)/i.test(partType)) return plainText(entity.headers, entity.body);
    }
    return '';
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const charset = parameter(type, 'charset');
  if (encoding === 'base64') return charsetDecode(Buffer.from(body.replace(/\s+/g, ''), 'base64'), charset);
  if (encoding === 'quoted-printable') return charsetDecode(quotedPrintable(body), charset);
  return charsetDecode(Buffer.from(body, 'binary'), charset);
}

/** Subject and plain text of a raw RFC 5322 message (trailing line breaks dropped). */
export function parseMail(raw: string): { subject: string; text: string } {
  const { headers, body } = splitEntity(raw);
  return { subject: decodeHeader(headers.get('subject') ?? ''), text: plainText(headers, body).replace(/\n+$/, '') };
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const listeners: ((mail: ReceivedMail) => void)[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: MAX_MAIL_BYTES,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error(`message exceeds ${MAX_MAIL_BYTES} bytes`), { responseCode: 552 }));
          return;
        }
        // 'latin1' keeps each byte as one character; parseMail decodes by the declared charset.
        const { subject, text } = parseMail(Buffer.concat(chunks).toString('latin1'));
        const envelope = session.envelope;
        const mail: ReceivedMail = {
          at: Date.now(),
          from: envelope.mailFrom ? envelope.mailFrom.address : '',
          to: envelope.rcptTo.map((r) => r.address),
          subject,
          text,
        };
        received.push(mail);
        callback();
        notify(listeners, mail);
      });
    },
  });
  // smtp-server reports client errors (a dropped connection) here; the receiver keeps serving.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as { port: number };
  return {
    host: LOOPBACK_HOST,
    port,
    received: () => [...received],
    onMessage: (listener) => {
      listeners.push(listener);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/**
 * A deliver function for the SNS e-mail subscription: sends `{subject, body}` from `from` to
 * `to` with nodemailer over plain SMTP (no TLS, no auth), as the SNS e-mail endpoint would.
 */
export function emailSender(options: {
  host: string;
  port: number;
  from: string;
  to: readonly string[];
}): (message: { subject: string; body: string }) => Promise<void> {
  if (!ADDRESS.test(options.from)) throw new Error(`emailSender from: '${options.from}' is not an e-mail address`);
  if (options.to.length === 0) throw new Error('emailSender to: [] is empty (list at least one address)');
  for (const address of options.to) {
    if (!ADDRESS.test(address)) throw new Error(`emailSender to: '${address}' is not an e-mail address`);
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new Error(`emailSender port: ${options.port} is not a TCP port (1 to 65535)`);
  }
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: false,
    ignoreTLS: true,
  });
  return async ({ subject, body }) => {
    await transport.sendMail({ from: options.from, to: [...options.to], subject, text: body });
  };
}
