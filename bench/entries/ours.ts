// Our bundle with the anchor's feature set: Logger + Metrics + Tracer + the middleware, plus middy.
// esbuild tree-shakes the rest of the core (monitors, Prometheus, PutMetricData sink) away.
export { default as middy } from '@middy/core';
export { instrument, Logger, Metrics, Tracer } from '../../layers/instrumentation/index';
