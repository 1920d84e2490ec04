import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csvCell, csvHeader, csvRow } from './bookings-csv.js';

describe('the bookings CSV export', () => {
  test('RFC 4180: a cell with a quote, comma or line break is quoted, its quotes doubled', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('Floor, front'), '"Floor, front"');
    assert.equal(csvCell('the "VIP" box'), '"the ""VIP"" box"');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('cr\rhere'), '"cr\rhere"');
    assert.equal(csvCell(undefined), '');
    assert.equal(csvCell(-5), '-5');
  });

  test('a text cell a spreadsheet would run as a formula starts with an apostrophe', () => {
    for (const start of ['=', '+', '-', '@', '\t']) assert.equal(csvCell(`${start}1+1`), `'${start}1+1`);
    assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
    assert.equal(csvCell('\rcmd'), `"'\rcmd"`);
    assert.equal(csvCell('a=b'), 'a=b');
  });

  test('a row has every column in the header order, CRLF ended', () => {
    const row = csvRow({
      id: 'b1',
      concertId: 'c1',
      seatTypeId: 's1',
      seatTypeName: '=cmd',
      seatNo: 7,
      price: 12.5,
      userId: 'u1',
      userEmail: 'fan@example.com',
      status: 'cancelled',
      ticketRef: 'T',
      createdAt: '2030-01-01T00:00:00.000Z',
      cancelledAt: '2030-01-02T00:00:00.000Z',
    });
    assert.equal(csvHeader(), 'id,ticketRef,status,seatTypeId,seatTypeName,seatNo,price,userId,userEmail,createdAt,cancelledAt\r\n');
    assert.equal(row, "b1,T,cancelled,s1,'=cmd,7,12.5,u1,fan@example.com,2030-01-01T00:00:00.000Z,2030-01-02T00:00:00.000Z\r\n");
  });
});
