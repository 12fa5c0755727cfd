// The anchor bundle: what a Powertools user ships for Logger + Metrics + Tracer with middy.
export { Logger } from '@aws-lambda-powertools/logger';
export { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
export { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
export { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
export { Tracer } from '@aws-lambda-powertools/tracer';
export { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
export { default as middy } from '@middy/core';
