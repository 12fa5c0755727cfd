import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One unacknowledged cdk-nag finding: rule id (with its `[...]` part), resource path, message. */
export interface NagFinding {
  readonly ruleId: string;
  readonly resource: string;
  readonly message: string;
}

/**
 * Runs the cdk-nag AwsSolutions pack on every synth of `app` (cdk-nag v3: a policy validation
 * plugin; an unacknowledged finding fails the synth). Acknowledgements live next to the resource
 * they concern, each with its reason: `Validations.of(construct).acknowledge({ id, reason })`.
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * The unacknowledged AwsSolutions findings in `scope`, for tests. Synthesize first (e.g.
 * `Template.fromStack(stack)`): aspects add resources, such as instrumented functions' log groups.
 */
export function nagFindings(scope: IConstruct): NagFinding[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      ruleId: violation.ruleName,
      resource: resource.constructPath ?? resource.resourceLogicalId ?? '(stack)',
      message: violation.description,
    })),
  );
}
