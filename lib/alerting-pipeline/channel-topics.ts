/**
 * What every alert pipeline function that notifies needs of the channel topics: their ARNs as the
 * `MAIF_CHANNEL_TOPICS` environment variable, and permission to publish to them.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';

export type ChannelTopics = Readonly<Partial<Record<string, sns.ITopic>>>;

function defined(topics: ChannelTopics): [string, sns.ITopic][] {
  return Object.entries(topics).flatMap(([name, topic]) => (topic ? [[name, topic] as [string, sns.ITopic]] : []));
}

/** `MAIF_CHANNEL_TOPICS`: `{"channel": "topic ARN"}` as a JSON string token. */
export function channelTopicsJson(scope: IConstruct, topics: ChannelTopics): string {
  return Stack.of(scope).toJsonString(Object.fromEntries(defined(topics).map(([name, t]) => [name, t.topicArn])));
}

/** `sns:Publish` on exactly these topics (none when there are none). */
export function allowPublish(role: iam.IRole, topics: ChannelTopics): void {
  const arns = defined(topics).map(([, t]) => t.topicArn);
  if (arns.length > 0)
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: arns }));
}
