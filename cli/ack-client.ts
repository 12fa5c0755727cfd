/**
 * A client of the ack API's AWS_IAM Function URL: each request is signed with SigV4 (service
 * `lambda`), as Lambda checks it before the function runs. Used by the `maif-obs` CLI.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, Provider, SourceData } from '@smithy/types';

/** SHA-256 (or HMAC-SHA-256 with a secret) over node:crypto, the shape SignatureV4 wants. */
export class NodeSha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    if (this.#secret === undefined) return createHash('sha256');
    const key = typeof this.#secret === 'string' ? this.#secret : Buffer.from(this.#secret as ArrayBuffer);
    return createHmac('sha256', key);
  }

  update(data: Uint8Array | string): void {
    this.#hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#create();
  }
}

export interface AckApiClientOptions {
  /** The Function URL, e.g. https://abc.lambda-url.eu-west-1.on.aws/ */
  readonly endpoint: string;
  /** @default - the region in the Function URL's host name */
  readonly region?: string;
  /** @default - the AWS SDK's default credential provider chain */
  readonly credentials?: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** @default - the global fetch */
  readonly fetch?: typeof fetch;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/** The region of a Function URL (`<id>.lambda-url.<region>.on.aws`), if the host is one. */
export function regionOfFunctionUrl(endpoint: string): string | undefined {
  try {
    return FUNCTION_URL_HOST.exec(new URL(endpoint).hostname)?.[1];
  } catch {
    return undefined;
  }
}

export class AckApiClient {
  readonly #endpoint: URL;
  readonly #signer: SignatureV4;
  readonly #fetch: typeof fetch;

  constructor(options: AckApiClientOptions) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint);
    } catch {
      throw new Error(`--endpoint: '${options.endpoint}' is not a URL (the ack API's Function URL)`);
    }
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
      throw new Error(`--endpoint: '${options.endpoint}' is not an http(s) URL`);
    }
    const region = options.region ?? regionOfFunctionUrl(options.endpoint);
    if (!region) {
      throw new Error(
        `--region: none given and '${endpoint.hostname}' is not a Function URL host (pass --region or set AWS_REGION)`,
      );
    }
    this.#endpoint = endpoint;
    this.#fetch = options.fetch ?? fetch;
    this.#signer = new SignatureV4({
      service: 'lambda',
      region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: NodeSha256,
    });
  }

  /** Sends one signed request; resolves with the status and the parsed JSON body. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    query: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { host: this.#endpoint.host };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const signed = await this.#signer.sign({
      method,
      protocol: this.#endpoint.protocol,
      hostname: this.#endpoint.hostname,
      port: this.#endpoint.port ? Number(this.#endpoint.port) : undefined,
      path,
      query,
      headers,
      body: payload,
    });
    const url = new URL(path, this.#endpoint);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const signedHeaders = { ...(signed.headers as Record<string, string>) };
    // fetch sets Host itself (it is a forbidden header); it is the same value that was signed.
    delete signedHeaders.host;
    const response = await this.#fetch(url, { method, headers: signedHeaders, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  }
}
