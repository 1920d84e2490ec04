import client, { type Registry } from 'prom-client';
import { NOTIFICATION_JOBS } from '../../lib/queues.js';

/**
 * `sent`: delivered to the transport and recorded; `duplicate`: a repeated job
 * found the email already sent; `failed`: one attempt failed and will be retried;
 * `exhausted`: the job gave up and sits in the failed set (event `unknown` for
 * a job name no handler knows).
 */
export const EMAIL_RESULTS = ['sent', 'duplicate', 'failed', 'exhausted'] as const;
export type EmailResult = (typeof EMAIL_RESULTS)[number];

export function createNotificationMetrics(registry: Registry) {
  const emails = new client.Counter({
    name: 'notification_emails_total',
    help: 'Notification emails by booking event and result',
    labelNames: ['event', 'result'] as const,
    registers: [registry],
  });
  // Every series exists from the start, so rate() and alerts see a 0 rather than nothing.
  for (const event of Object.values(NOTIFICATION_JOBS)) {
    for (const result of EMAIL_RESULTS) emails.labels({ event, result }).inc(0);
  }
  emails.labels({ event: 'unknown', result: 'exhausted' }).inc(0);
  return {
    /** `event` is a known job name or 'unknown', never raw input, so label sets stay bounded. */
    email(event: string, result: EmailResult) {
      emails.labels({ event, result }).inc();
    },
  };
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
