/**
 * The parts of aws-xray-sdk-core 3.x the tracer uses, loaded on first use (not at import).
 *
 * Why not `require('aws-xray-sdk-core')`: its entry point creates the cls-hooked namespace at
 * import (an async_hooks hook enabled for the life of the process, a cost on every promise),
 * in Lambda builds a facade segment and turns off centralized sampling, and loads the AWS SDK v2
 * patchers. The tracer keeps its own context in an AsyncLocalStorage and needs only the segment
 * classes and the UDP emitter, whose modules load none of that (no cls-hooked, no timers, no
 * sockets until the first send). The SDK's context-missing strategy lives in the module we do
 * not load, so it can never throw into the handler; the tracer passes a no-op span instead.
 *
 * What these modules still do at load: read `AWS_XRAY_DAEMON_ADDRESS` (and throw on an invalid
 * value: caught here, tracing turns off with one warning) and `AWS_XRAY_LOG_LEVEL`.
 */

/** The fields of an SDK segment or subsegment the tracer touches. */
export interface SdkEntity {
  id: string;
  name: string;
  trace_id?: string;
  parent_id?: string;
  notTraced?: boolean;
  counter: number;
  namespace?: string;
  http?: unknown;
  fault?: boolean;
  error?: boolean;
  throttle?: boolean;
  traced?: boolean;
  addAnnotation(key: string, value: string | number | boolean): void;
  addMetadata(key: string, value: unknown, namespace?: string): void;
  addError(error: Error | string, remote?: boolean): void;
  addErrorFlag(): void;
  addFaultFlag(): void;
  addThrottleFlag(): void;
  addAttribute(name: string, data: unknown): void;
  addNewSubsegment(name: string): SdkEntity;
  close(error?: Error | string, remote?: boolean): void;
  isClosed(): boolean;
  flush(): void;
}

export interface SdkSegmentClass {
  new (name: string, rootId?: string, parentId?: string): SdkEntity;
}

export interface XRaySdk {
  readonly Segment: SdkSegmentClass;
  readonly SegmentUtils: {
    setStreamingThreshold(threshold: number): void;
    setSDKData(data: object): void;
    setServiceData(data: object): void;
  };
  readonly SegmentEmitter: { disableReusableSocket(): void };
  /** The SDK's centralized sampler (rule and target pollers start on the first decision). */
  defaultSampler(): {
    shouldSample(request: object): string | boolean | undefined;
    setLocalRules(source: object): void;
  };
}

let loaded: XRaySdk | undefined;
let failure: Error | undefined;

/** The SDK parts, or the error that prevented loading them (remembered: tried once). */
export function loadSdk(): XRaySdk | Error {
  if (loaded !== undefined) return loaded;
  if (failure !== undefined) return failure;
  try {
    // Literal paths, so the layer's bundler includes these modules (and only these).
    const Segment = require('aws-xray-sdk-core/dist/lib/segments/segment') as SdkSegmentClass;
    const SegmentUtils = require('aws-xray-sdk-core/dist/lib/segments/segment_utils') as XRaySdk['SegmentUtils'];
    const SegmentEmitter = require('aws-xray-sdk-core/dist/lib/segment_emitter') as XRaySdk['SegmentEmitter'];
    let version = 'unknown';
    try {
      version = (require('aws-xray-sdk-core/package.json') as { version: string }).version;
    } catch {
      // bundled without its package.json: the version stays unknown
    }
    SegmentUtils.setSDKData({ sdk: 'X-Ray for Node.js', sdk_version: version, package: 'aws-xray-sdk-core' });
    SegmentUtils.setServiceData({ runtime: 'node', runtime_version: process.version });
    loaded = {
      Segment,
      SegmentUtils,
      SegmentEmitter,
      defaultSampler: () => require('aws-xray-sdk-core/dist/lib/middleware/sampling/default_sampler'),
    };
    return loaded;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    return failure;
  }
}
