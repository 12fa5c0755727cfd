/**
 * The payload checks of the loopback Slack and PagerDuty receivers: a Slack incoming-webhook
 * body (fallback `text` and Block Kit `blocks`, with Slack's limits) and a PagerDuty Events API v2
 * event (routing_key, event_action, dedup_key, and payload summary / source / severity to trigger).
 * Each returns the problems found, empty when the body is valid.
 */
import { isRecord } from '../../domain/records';

const SLACK_BLOCK_TYPES = new Set(['header', 'section', 'context', 'actions', 'divider']);
const PD_ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const PD_SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

function textObject(value: unknown, where: string, max: number, errors: string[], plainOnly = false): void {
  if (!isRecord(value) || (value.type !== 'plain_text' && value.type !== 'mrkdwn')) {
    errors.push(`${where}: not a text object`);
    return;
  }
  if (plainOnly && value.type !== 'plain_text') errors.push(`${where}: must be plain_text`);
  if (typeof value.text !== 'string' || value.text.length === 0) errors.push(`${where}.text: empty`);
  else if (value.text.length > max) errors.push(`${where}.text: ${value.text.length} > ${max} characters`);
}

/** Problems with a Slack incoming-webhook body (empty when valid). */
export function validateSlackMessage(body: unknown): string[] {
  const errors: string[] = [];
  if (!isRecord(body)) return ['body: not a JSON object'];
  if (typeof body.text !== 'string' || body.text === '') errors.push('text: missing fallback text');
  if (!Array.isArray(body.blocks) || body.blocks.length === 0) return [...errors, 'blocks: missing'];
  if (body.blocks.length > 50) errors.push(`blocks: ${body.blocks.length} > 50`);
  for (const [i, block] of (body.blocks as unknown[]).entries()) {
    const at = `blocks[${i}]`;
    if (!isRecord(block) || !SLACK_BLOCK_TYPES.has(block.type as string)) {
      errors.push(`${at}: unknown block type`);
      continue;
    }
    if (block.type === 'header') textObject(block.text, `${at}.text`, 150, errors, true);
    if (block.type === 'section') {
      if (block.text === undefined && block.fields === undefined) errors.push(`${at}: needs text or fields`);
      if (block.text !== undefined) textObject(block.text, `${at}.text`, 3000, errors);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length > 10) errors.push(`${at}.fields: not 1..10 fields`);
        else for (const [j, f] of block.fields.entries()) textObject(f, `${at}.fields[${j}]`, 2000, errors);
      }
    }
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
        errors.push(`${at}.elements: not 1..10 elements`);
      } else for (const [j, e] of block.elements.entries()) textObject(e, `${at}.elements[${j}]`, 3000, errors);
    }
    if (block.type === 'actions') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) {
        errors.push(`${at}.elements: not 1..25 elements`);
      } else {
        for (const [j, e] of (block.elements as unknown[]).entries()) {
          if (!isRecord(e) || e.type !== 'button') {
            errors.push(`${at}.elements[${j}]: not a button`);
            continue;
          }
          textObject(e.text, `${at}.elements[${j}].text`, 75, errors, true);
          if (typeof e.action_id !== 'string' || e.action_id.length > 255)
            errors.push(`${at}.elements[${j}].action_id`);
          if (
            e.url !== undefined &&
            (typeof e.url !== 'string' || !/^https?:\/\//.test(e.url) || e.url.length > 3000)
          ) {
            errors.push(`${at}.elements[${j}].url: not an http(s) URL of at most 3000 characters`);
          }
        }
      }
    }
  }
  return errors;
}

/** Problems with a PagerDuty Events API v2 body (empty when valid). */
export function validatePagerDutyEvent(body: unknown): string[] {
  const errors: string[] = [];
  if (!isRecord(body)) return ['body: not a JSON object'];
  if (typeof body.routing_key !== 'string' || body.routing_key === '') errors.push('routing_key: missing');
  if (!PD_ACTIONS.has(body.event_action as string)) errors.push(`event_action: '${String(body.event_action)}'`);
  if (body.dedup_key !== undefined && (typeof body.dedup_key !== 'string' || body.dedup_key.length > 255)) {
    errors.push('dedup_key: not a string of at most 255 characters');
  }
  if (body.event_action !== 'trigger') {
    if (typeof body.dedup_key !== 'string' || body.dedup_key === '')
      errors.push('dedup_key: required to acknowledge or resolve');
    return errors;
  }
  const p = body.payload;
  if (!isRecord(p)) return [...errors, 'payload: required to trigger'];
  if (typeof p.summary !== 'string' || p.summary === '' || p.summary.length > 1024)
    errors.push('payload.summary: not 1..1024 characters');
  if (typeof p.source !== 'string' || p.source === '') errors.push('payload.source: missing');
  if (!PD_SEVERITIES.has(p.severity as string)) errors.push(`payload.severity: '${String(p.severity)}'`);
  if (p.timestamp !== undefined && Number.isNaN(Date.parse(String(p.timestamp))))
    errors.push('payload.timestamp: not ISO 8601');
  if (p.custom_details !== undefined && !isRecord(p.custom_details))
    errors.push('payload.custom_details: not an object');
  if (body.links !== undefined) {
    if (!Array.isArray(body.links)) errors.push('links: not a list');
    else
      for (const l of body.links)
        if (!isRecord(l) || typeof l.href !== 'string') errors.push('links: entry without href');
  }
  return errors;
}
