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
 * nodemailer used as in production. `json` renders the full MIME message and
 * hands it back instead of delivering it; `smtp` delivers to SMTP_URL. SMTP
 * timeouts are bounded so one send always ends well within the send lease.
 */
export function createMailTransport(config: Pick<NotificationConfig, 'MAIL_TRANSPORT' | 'SMTP_URL'>): MailTransport {
  const transporter =
    config.MAIL_TRANSPORT === 'smtp'
      ? nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 })
      : nodemailer.createTransport({ jsonTransport: true });
  return {
    kind: config.MAIL_TRANSPORT,
    rendersOnly: config.MAIL_TRANSPORT === 'json',
    async send(mail) {
      const info = await transporter.sendMail(mail);
      return { messageId: info.messageId };
    },
    close: () => transporter.close(),
  };
}
