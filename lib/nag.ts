import { type App, type Stack, Validations } from 'aws-cdk-lib';
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

/**
 * An ARN as cdk-nag prints it in a finding id (`AwsSolutions-IAM5[Resource::...]`): `Ref`s and
 * `Fn::GetAtt`s become `<Name>`, `Fn::Join`s are joined; for acknowledging exactly that finding.
 */
export function nagArn(stack: Stack, arn: string): string {
  const render = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const o = node as Record<string, unknown>;
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown];
      return Array.isArray(parts) ? parts.map(render).join(sep) : JSON.stringify(node);
    }
    return JSON.stringify(node);
  };
  return render(stack.resolve(arn));
}
