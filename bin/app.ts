#!/usr/bin/env node
/**
 * The CDK app: one MaifObservabilityStack per environment of observability.config.ts.
 *   npx cdk synth                      every environment
 *   npx cdk synth -c env=prod          one environment
 *   npx cdk synth -c config=other.ts   another configuration file
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../domain/config';
import { buildApp, DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/app';

const app = new App();
const env: unknown = app.node.tryGetContext('env');
const file: unknown = app.node.tryGetContext('config');
try {
  buildApp(app, {
    config: loadConfigFile(typeof file === 'string' ? file : DEFAULT_CONFIG_FILE),
    env: typeof env === 'string' ? env : undefined,
  });
} catch (error) {
  // A configuration problem is the user's to fix: the message, not a stack trace.
  if (error instanceof ConfigError) {
    process.stderr.write(`Invalid observability configuration:\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
