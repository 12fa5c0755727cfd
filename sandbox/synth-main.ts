/**
 * Child process of sandbox/synth.ts: synthesizes one environment's MaifObservabilityStack
 * without bundling (the sandbox reads the template's table and state machine, not the code
 * assets) and writes the template JSON to the file named by argv[4].
 *   node --import tsx sandbox/synth-main.ts <config file> <env> <out file>
 */
import { writeFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { buildApp, loadConfigFile } from '../lib/app';

const [configFile, env, outFile] = process.argv.slice(2);
// `aws:cdk:bundling-stacks: []` tells every asset to skip bundling: the synthesized definitions
// and key schemas are the same, the Lambda code assets are placeholders the sandbox never reads.
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const [stack] = buildApp(app, { config: loadConfigFile(configFile), env, nag: false });
const template = app.synth().getStackByName(stack.stackName).template as unknown;
writeFileSync(outFile, JSON.stringify(template));
