import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** SQS keeps a message at most 14 days: the longest window to inspect and replay failures. */
export const DLQ_RETENTION = Duration.days(14);

export interface DeadLetterQueueProps {
  /** Encrypts the queue. */
  readonly encryptionKey: kms.IKey;
  /** Whose dead-letter queue it is, for the cdk-nag acknowledgement (`the alert router`). */
  readonly owner: string;
}

/**
 * A kit function's dead-letter queue: KMS-encrypted, SSL only, messages kept `DLQ_RETENTION`.
 * It has no dead-letter queue of its own (cdk-nag's AwsSolutions-SQS3, acknowledged).
 */
export function deadLetterQueue(scope: Construct, id: string, props: DeadLetterQueueProps): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.encryptionKey,
    enforceSSL: true,
    retentionPeriod: DLQ_RETENTION,
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is the dead-letter queue of ${props.owner}; a DLQ of a DLQ would only move the problem`,
  });
  return queue;
}

/** Messages waiting in a dead-letter queue: the most visible in each minute. */
export function deadLetterDepth(queue: sqs.IQueue): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
}

export interface DeadLetterAlarmProps {
  readonly queue: sqs.IQueue;
  readonly description: string;
  /** @default - the alarm has no action */
  readonly alarmTopic?: sns.ITopic;
}

/** An alarm as soon as one message waits in the dead-letter queue (no data: not breaching). */
export function deadLetterAlarm(scope: Construct, id: string, props: DeadLetterAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: props.description,
    metric: deadLetterDepth(props.queue),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (props.alarmTopic) alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
  return alarm;
}
