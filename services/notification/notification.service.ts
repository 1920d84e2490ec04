import type { Logger } from '../../lib/logger.js';
import type { BookingNotificationData, NotificationJobName, OfferNotificationData } from '../../lib/queues.js';
import { renderBookingEmail } from './email.renderer.js';
import { idempotencyKey, type ClaimResult, type EmailDraft, type EmailRecord, type EmailRepository } from './email.repository.js';
import type { MailTransport } from './mail.transport.js';
import type { NotificationMetrics } from './notification.metrics.js';

export interface PublicEmail {
  id: string;
  event: NotificationJobName;
  bookingId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

const toPublicEmail = (e: EmailRecord): PublicEmail => ({
  id: e.id,
  event: e.event,
  bookingId: e.bookingId,
  to: e.to,
  subject: e.subject,
  text: e.text,
  html: e.html,
  sentAt: e.sentAt!.toISOString(),
});

/** `busy`: another live attempt owns this email; look again at `retryAt`. */
export type DeliveryOutcome = { kind: 'sent' } | { kind: 'duplicate' } | { kind: 'busy'; retryAt: Date };

export interface NotificationDeps {
  emails: EmailRepository;
  transport: MailTransport;
  metrics: NotificationMetrics;
  logger: Logger;
  sender: { from: string; domain: string };
  sendLeaseMs: number;
}

export function createNotificationService({ emails, transport, metrics, logger, sender, sendLeaseMs }: NotificationDeps) {
  const sent = (email: EmailDraft, messageId: string): DeliveryOutcome => {
    metrics.email(email.event, 'sent');
    logger.info({ to: email.to, subject: email.subject, bookingId: email.bookingId, event: email.event, messageId, transport: transport.kind }, 'email sent');
    return { kind: 'sent' };
  };

  return {
    /**
     * Sends the email for one booking event at most once per idempotency key,
     * through an outbox record in `emails`:
     *
     * 1. render (pure, from the payload);
     * 2. claim: insert the record as `sending` under the unique key, with a lease.
     *    A duplicate key means someone claimed it first: if it is `sent` we are
     *    done; if its lease is live another attempt is sending it now, so we wait
     *    rather than send; if the lease ran out, that attempt died and we take over;
     * 3. send through the transport;
     * 4. mark `sent`.
     *
     * A crash before 2 leaves nothing; between 2 and 4 it leaves a `sending`
     * record whose lease expires, and the retried job sends it: nothing is lost.
     * Only a crash after the transport accepted the message and before 4 repeats
     * a send. With SMTP we accept that, at-least-once, because a lost ticket
     * confirmation is worse than a second copy carrying the same Message-ID, which
     * mail clients collapse.
     *
     * A transport that only renders (JSON: nothing leaves the process, the record
     * is the mailbox) needs no claim: render, then insert the record as `sent` in
     * one write. The unique key still lets exactly one attempt store it; a loser
     * finds the record and goes through the claim path above (`sent`: duplicate).
     * A crash before the insert leaves nothing and the retry renders again.
     */
    async deliver(event: NotificationJobName, data: BookingNotificationData | OfferNotificationData): Promise<DeliveryOutcome> {
      const rendered = renderBookingEmail(event, data, sender);
      const key = idempotencyKey(event, data.bookingId);
      const draft = { ...rendered, idempotencyKey: key, event, bookingId: data.bookingId, userId: data.userId };
      let claim: ClaimResult;
      if (transport.rendersOnly) {
        const { messageId } = await transport.send(rendered);
        if (await emails.recordSent(draft, messageId, new Date())) return sent(draft, messageId);
        claim = await emails.claimExisting(key, sendLeaseMs);
      } else {
        claim = await emails.claim(draft, sendLeaseMs);
      }
      if (claim.kind === 'sent') {
        metrics.email(event, 'duplicate');
        logger.debug({ bookingId: data.bookingId, event }, 'email already sent; duplicate job ignored');
        return { kind: 'duplicate' };
      }
      if (claim.kind === 'busy') return { kind: 'busy', retryAt: claim.leaseUntil };

      const email = claim.email;
      let messageId: string;
      try {
        ({ messageId } = await transport.send({
          from: email.from,
          to: email.to,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
        }));
      } catch (err) {
        await emails
          .releaseClaim(key)
          .catch((releaseErr) => logger.warn({ err: releaseErr, key }, 'could not release the send lease; the retry waits for it to expire'));
        throw err;
      }
      await emails.markSent(key, messageId, new Date());
      return sent(email, messageId);
    },

    async listForUser(userId: string, page: { limit: number; offset: number }): Promise<PublicEmail[]> {
      return (await emails.listSent(userId, page)).map(toPublicEmail);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
