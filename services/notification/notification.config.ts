import { z } from 'zod';
import { commonEnv, positiveInt } from '../../lib/config.js';

/** `Name <local@domain>` or a bare address; the domain also names our Message-IDs. */
const MAILBOX = /^(?:[^<>]*<)?[^\s<>@]+@([^\s<>@]+?)>?$/;

export const notificationConfigSchema = z
  .object({
    ...commonEnv,
    MAIL_FROM: z.string().trim().regex(MAILBOX, 'must be an address, optionally as "Name <address>"').default('On-sale <tickets@onsale.local>'),
    // json: keep the rendered message only in the `emails` collection (simulated
    // mail, nothing leaves the machine).
    // smtp: hand every message to the server in SMTP_URL, e.g. smtp://user:pass@mail.example.com:587.
    MAIL_TRANSPORT: z.enum(['json', 'smtp']).default('json'),
    SMTP_URL: z.string().url().startsWith('smtp').optional(),
    NOTIFICATION_CONCURRENCY: positiveInt.max(500).default(20),
    // How long one attempt owns an email before another may take it over; must
    // outlast the slowest send (the SMTP timeouts in mail.transport.ts add up to 50 s).
    NOTIFICATION_SEND_LEASE_SECONDS: positiveInt.min(60).default(120),
  })
  .superRefine((env, ctx) => {
    if (env.MAIL_TRANSPORT === 'smtp' && !env.SMTP_URL) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['SMTP_URL'], message: 'required when MAIL_TRANSPORT=smtp' });
    }
  });

export type NotificationConfig = z.infer<typeof notificationConfigSchema>;

/** The domain of the sender address. */
export const senderDomain = (mailFrom: string) => MAILBOX.exec(mailFrom)![1];
