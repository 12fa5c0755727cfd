/**
 * The environment variables the instrumentation core reads once at cold start: a contract with
 * the CDK side (`instrumentFunction` sets them) and with the kit's own handlers.
 */
export const INSTRUMENTATION_ENV = {
  service: 'MAIF_SERVICE',
  namespace: 'MAIF_NAMESPACE',
  environment: 'MAIF_ENVIRONMENT',
  logLevel: 'MAIF_LOG_LEVEL',
  debugSampleRate: 'MAIF_DEBUG_SAMPLE_RATE',
  /** JSON `{"default":0.1,"high_priority":1,"background_tasks":0.01}`: the tracer's rates by priority. */
  traceSampling: 'MAIF_TRACE_SAMPLING',
  /** JSON `[{"type":"zipkin","endpoint":"http://zipkin:9411/api/v2/spans"}]`: the enabled exporters beside X-Ray; unset when none. */
  traceExporters: 'MAIF_TRACE_EXPORTERS',
  /**
   * `60s`: `instrument()` samples memory_usage and disk_usage at most this often, as if given
   * `system: { interval }` (set when `metrics.system.lambda` is on); unset: no sampling unless
   * `instrument({ system })` asks for it. An explicit `system` option wins.
   */
  systemSampling: 'MAIF_SYSTEM_SAMPLING',
} as const;

export type InstrumentationEnvName = (typeof INSTRUMENTATION_ENV)[keyof typeof INSTRUMENTATION_ENV];
