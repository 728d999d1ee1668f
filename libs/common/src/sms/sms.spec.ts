import fc from 'fast-check';
import { SegmentedMessage } from 'sms-segments-calculator';
import { countSegments, estimateCost, lengthWarnings } from './segments';
import { isSmsStatus } from './status';
import { twilioErrorMeaning } from './twilio-errors';

describe('countSegments', () => {
  it.each([
    ['', 1, 'GSM-7'],
    ['a'.repeat(160), 1, 'GSM-7'],
    ['a'.repeat(161), 2, 'GSM-7'],
    ['a'.repeat(306), 2, 'GSM-7'],
    ['a'.repeat(307), 3, 'GSM-7'],
    ['a'.repeat(600), 4, 'GSM-7'],
    ['€'.repeat(80), 1, 'GSM-7'], // extension characters count twice
    ['€'.repeat(81), 2, 'GSM-7'],
    ['ĉ'.repeat(70), 1, 'UCS-2'],
    ['ĉ'.repeat(71), 2, 'UCS-2'],
    ['ĉ'.repeat(134), 2, 'UCS-2'],
    ['ĉ'.repeat(135), 3, 'UCS-2'],
    [`${'a'.repeat(100)}😀`, 2, 'UCS-2'], // one non-GSM character makes the whole message UCS-2
  ])('%#: %s chars -> %i segments %s', (body, segments, encoding) => {
    expect(countSegments(body)).toMatchObject({ segments, encoding });
  });

  it('counts plain GSM-7 texts (the fast path) exactly as the calculator does', () => {
    const basic = [
      ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCXYZÄÖÑÜ§¿abcxyzäöñüà',
    ];
    const mixed = [...basic, '€', '{', '}', '[', ']', '~', '\\', '|', '^', 'ĉ', '😀', 'ç'];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.constantFrom(...basic), { maxLength: 700 }),
          fc.array(fc.constantFrom(...mixed), { maxLength: 700 }),
        ),
        (chars) => {
          const body = chars.join('');
          const m = new SegmentedMessage(body, 'auto');
          expect(countSegments(body)).toEqual({
            segments: m.segmentsCount,
            encoding: m.encodingName,
            characters: m.numberOfCharacters,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('estimateCost', () => {
  it('uses the spec figures per segment', () => {
    expect(estimateCost('+447386172392', 4)).toEqual({ amount: 0.16, currency: 'GBP', per_segment: 0.04 });
    expect(estimateCost('+14155550100', 2)).toEqual({ amount: 0.015, currency: 'USD', per_segment: 0.0075 });
  });
});

describe('lengthWarnings', () => {
  it('warns only past 600 characters', () => {
    expect(lengthWarnings('a'.repeat(600), countSegments('a'.repeat(600)))).toEqual([]);
    const [w] = lengthWarnings('a'.repeat(601), countSegments('a'.repeat(601)));
    expect(w.code).toBe('long_message_deliverability');
    expect(w.message).toMatch(/UK/);
  });
});

describe('status vocabulary', () => {
  it("knows Twilio's statuses only", () => {
    expect(isSmsStatus('partially_delivered')).toBe(true);
    expect(isSmsStatus('Delivered')).toBe(false);
    expect(isSmsStatus(undefined)).toBe(false);
  });
});

describe('twilioErrorMeaning', () => {
  it('names known codes and falls back for others', () => {
    expect(twilioErrorMeaning('30003')).toBe('Unreachable destination handset');
    expect(twilioErrorMeaning(21610)).toMatch(/unsubscribed/);
    expect(twilioErrorMeaning('39999')).toBe('Twilio error 39999');
    expect(twilioErrorMeaning(null)).toBeNull();
  });
});
