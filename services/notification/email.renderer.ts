import { DEFAULT_CURRENCY } from '../../lib/records/concert.record.js';
import { NOTIFICATION_JOBS, type BookingNotificationData, type NotificationJobName, type OfferNotificationData } from '../../lib/queues.js';

export interface RenderedEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable per booking event, so a mail client can collapse a repeated delivery. */
  messageId: string;
}

interface Template {
  subject: (concertName: string) => string;
  headline: string;
  closing: string;
}

const TEMPLATES: Record<NotificationJobName, Template> = {
  [NOTIFICATION_JOBS.bookingConfirmed]: {
    subject: (concert) => `Your ticket for ${concert} is confirmed`,
    headline: 'Your booking is confirmed.',
    closing: 'Keep this email: show the ticket reference at the entrance.',
  },
  [NOTIFICATION_JOBS.bookingCancelled]: {
    subject: (concert) => `Your booking for ${concert} was cancelled`,
    headline: 'Your booking has been cancelled and the seat released.',
    closing: 'If you did not cancel this booking, reply to this email.',
  },
  [NOTIFICATION_JOBS.waitingListOffer]: {
    subject: (concert) => `A seat for ${concert} is held for you`,
    headline: 'A seat freed up and you are next on the waiting list: it is held for you alone until the time below.',
    closing: 'Accept it from the waiting-room page (or POST /api/v1/bookings with the offer id) before it expires; after that it goes to the next fan.',
  },
};

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

// Concerts carry no time zone yet, so dates are stated in UTC rather than guessed.
const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: 'UTC' });
export const formatConcertDate = (iso: string) => `${dateFormat.format(new Date(iso))} UTC`;
/** "€79.50", "US$12.00", "¥8,000": the currency's own symbol and minor units. */
export const formatPrice = (price: number, currency = DEFAULT_CURRENCY) => new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(price);

/** Renders the email for one booking event from the job payload alone. */
export function renderBookingEmail(
  event: NotificationJobName,
  data: BookingNotificationData | OfferNotificationData,
  sender: { from: string; domain: string },
): RenderedEmail {
  const template = TEMPLATES[event];
  const rows: Array<[string, string]> = [
    ['Concert', data.concertName],
    ['Venue', data.venue],
    ['Date', formatConcertDate(data.startsAt)],
    ['Seat type', data.seatTypeName],
    ['Price', formatPrice(data.price, data.currency)],
    'ticketRef' in data ? ['Ticket reference', data.ticketRef] : ['Held for you until', formatConcertDate(data.expiresAt)],
  ];
  const label = Math.max(...rows.map(([name]) => name.length)) + 2;
  const text = [
    'Hello,',
    '',
    template.headline,
    '',
    ...rows.map(([name, value]) => `${`${name}:`.padEnd(label)}${value}`),
    '',
    template.closing,
    '',
    '— On-sale',
    '',
  ].join('\n');
  const html = [
    '<!doctype html>',
    `<html><body style="font-family: sans-serif">`,
    '<p>Hello,</p>',
    `<p><strong>${escapeHtml(template.headline)}</strong></p>`,
    '<table cellpadding="4">',
    ...rows.map(([name, value]) => `<tr><th align="left">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`),
    '</table>',
    `<p>${escapeHtml(template.closing)}</p>`,
    '<p>— On-sale</p>',
    '</body></html>',
  ].join('\n');
  return {
    from: sender.from,
    to: data.userEmail,
    // A subject is one header line whatever the concert is called.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is stripped here
    subject: template.subject(data.concertName).replace(/[\u0000-\u001f\u007f]+/g, ' '),
    text,
    html,
    messageId: `<${event}.${data.bookingId}@${sender.domain}>`,
  };
}
