import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { excludeFromInstrumentation, XRAY_ACTIONS } from '../instrument-function';

/** Linux caps one command-line argument at 128 KiB (MAX_ARG_STRLEN); esbuild gets `--define` as one. */
export const MAX_BUNDLED_CONFIG_BYTES = 131_072 - 1_024;

/** The runtimes and architectures the configuration may name, by their configuration spelling. */
export const RUNTIMES = {
  'nodejs20.x': lambda.Runtime.NODEJS_20_X,
  'nodejs22.x': lambda.Runtime.NODEJS_22_X,
  'nodejs24.x': lambda.Runtime.NODEJS_24_X,
} as const;
export const ARCHITECTURES = { arm64: lambda.Architecture.ARM_64, x86_64: lambda.Architecture.X86_64 } as const;

export type RuntimeName = keyof typeof RUNTIMES;
export type ArchitectureName = keyof typeof ARCHITECTURES;

/** The handler's source in the repository, or its compiled copy when the kit runs from dist/. */
export function handlerEntry(name: string): string {
  const ts = resolve(__dirname, '../../lambdas', name, 'index.ts');
  return existsSync(ts) ? ts : resolve(__dirname, '../../lambdas', name, 'index.js');
}

/**
 * The settings a construct passes through to each kit function it deploys, unchanged: pick them
 * from its props with `kitFunctionSettings`.
 */
export interface KitFunctionSettings {
  /** @default 'nodejs24.x' */
  readonly runtime?: RuntimeName;
  /** @default 'arm64' */
  readonly architecture?: ArchitectureName;
  /** @default 256 */
  readonly memoryMb?: number;
  /** Retention of the function's log group. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logGroupRemovalPolicy?: RemovalPolicy;
  /** The handler's source file. @default - lambdas/<handler>/index.ts */
  readonly entry?: string;
}

/** Runtime, architecture and log retention: what the alert pipeline's constructs take of `KitFunctionSettings`. */
export type KitFunctionBaseSettings = Pick<KitFunctionSettings, 'runtime' | 'architecture' | 'logRetention'>;

/** The kit function settings of a construct's props (none of its other props), and the key of the log group. */
export function kitFunctionSettings(
  props: KitFunctionSettings & { readonly encryptionKey: kms.IKey },
): KitFunctionSettings & { readonly encryptionKey: kms.IKey } {
  return {
    runtime: props.runtime,
    architecture: props.architecture,
    memoryMb: props.memoryMb,
    logRetention: props.logRetention,
    logGroupRemovalPolicy: props.logGroupRemovalPolicy,
    entry: props.entry,
    encryptionKey: props.encryptionKey,
  };
}

export interface KitFunctionProps extends KitFunctionSettings {
  /** The folder under lambdas/ (`log-aggregator`, `health-probe`). */
  readonly handler: string;
  readonly description: string;
  /** Baked into the bundle as `__MAIF_CONFIG__` (see lambdas/shared/bundled-config.ts). */
  readonly bundledConfig: unknown;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  /** Encrypts the function's log group. */
  readonly encryptionKey: kms.IKey;
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * One of the kit's own functions: a NodejsFunction bundled with the local esbuild, its own role
 * (no AWS managed policy: only its log group and X-Ray), an explicit KMS-encrypted log group with
 * retention, active tracing, and its configuration bundled in. Never instrumented by the aspect.
 */
export class KitFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: KitFunctionProps) {
    super(scope, id);
    excludeFromInstrumentation(this);
    const entry = props.entry ?? handlerEntry(props.handler);
    if (!existsSync(entry)) {
      throw new Error(
        `${props.handler}: handler entry '${entry}' does not exist (expected lambdas/${props.handler}/index.ts)`,
      );
    }
    const define = JSON.stringify(JSON.stringify(props.bundledConfig ?? {}));
    if (Buffer.byteLength(define) > MAX_BUNDLED_CONFIG_BYTES) {
      throw new Error(
        `${props.handler}: bundled configuration is ${Buffer.byteLength(define)} bytes, over the ${MAX_BUNDLED_CONFIG_BYTES}-byte limit of one esbuild argument (shrink logging.lookupTables)`,
      );
    }

    const runtime = props.runtime ?? 'nodejs24.x';
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.logGroupRemovalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `MAIF Observability ${props.handler}`,
    });
    this.logGroup.grantWrite(this.role);
    const tracing = new iam.Policy(this, 'TracingPolicy', {
      statements: [new iam.PolicyStatement({ actions: [...XRAY_ACTIONS], resources: ['*'] })],
      roles: [this.role],
    });
    Validations.of(tracing).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments, PutTelemetryRecords and GetSampling* support no resource-level permissions',
    });

    this.function = new nodejs.NodejsFunction(this, 'Resource', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: RUNTIMES[runtime],
      architecture: ARCHITECTURES[props.architecture ?? 'arm64'],
      memorySize: props.memoryMb ?? 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.TEXT,
      environment: props.environment,
      deadLetterQueue: props.deadLetterQueue,
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: false,
        target: `node${runtime.slice('nodejs'.length, -'.x'.length)}`,
        define: { __MAIF_CONFIG__: define },
      },
    });
    // Active tracing through the L1 property: the L2 `tracing` prop would add a second, unscoped
    // X-Ray statement to the default policy; TracingPolicy above already grants it.
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
  }
}
