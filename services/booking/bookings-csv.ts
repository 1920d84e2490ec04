import type { ConcertBooking } from './concert-bookings.js';

/** The CSV export's columns, in order. */
export const CSV_COLUMNS = [
  'id',
  'ticketRef',
  'status',
  'seatTypeId',
  'seatTypeName',
  'seatNo',
  'price',
  'userId',
  'userEmail',
  'createdAt',
  'cancelledAt',
] as const satisfies ReadonlyArray<keyof ConcertBooking>;

// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP):
// tab and carriage return too, since some programs strip them before looking.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180): text a spreadsheet would read as a formula gets a leading
 * apostrophe, and a cell holding a quote, comma or line break is quoted with its
 * quotes doubled. Numbers are written as they are.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvHeader = () => `${CSV_COLUMNS.join(',')}\r\n`;

export const csvRow = (booking: ConcertBooking) => `${CSV_COLUMNS.map((c) => csvCell(booking[c])).join(',')}\r\n`;
