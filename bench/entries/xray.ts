// The X-Ray SDK alone, reported apart: both bundles need it for tracing.
export * as xray from 'aws-xray-sdk-core';
