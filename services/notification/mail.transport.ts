import nodemailer from 'nodemailer';
import type { NotificationConfig } from './notification.config.js';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/** What the service needs from a mail transport; tests substitute their own. */
export interface MailTransport {
  kind: string;
  /** Resolves with the Message-ID once the transport has accepted the message. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  /** True when send() only renders and nothing leaves the process: the stored record is the delivery. */
  rendersOnly?: boolean;
  close(): void;
}

/**
 * `smtp`: nodemailer delivers to SMTP_URL, with bounded timeouts so one send
 * always ends well within the send lease. `json`: simulated mail, nothing leaves
 * the process and the stored record is the delivery, so there is nothing to hand
 * over: the rendered email (its deterministic Message-ID included) is the message.
 * Building a MIME message per email with nodemailer's JSON transport only to throw
 * it away was the largest item in the notification service's CPU profile (random
 * boundaries, header folding: ~40 % of its time in a booking burst).
 */
export function createMailTransport(config: Pick<NotificationConfig, 'MAIL_TRANSPORT' | 'SMTP_URL'>): MailTransport {
  if (config.MAIL_TRANSPORT === 'json') {
    return { kind: 'json', rendersOnly: true, send: (mail) => Promise.resolve({ messageId: mail.messageId }), close: () => undefined };
  }
  const transporter = nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    kind: config.MAIL_TRANSPORT,
    async send(mail) {
      const info = await transporter.sendMail(mail);
      return { messageId: info.messageId };
    },
    close: () => transporter.close(),
  };
}
