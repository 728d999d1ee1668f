import { SegmentedMessage } from 'sms-segments-calculator';

/** Twilio's hard cap on a message body (longer bodies are refused with 21617). */
export const SMS_MAX_LENGTH = 1600;
/** The spec's deliverability ceiling: longer messages are often dropped by UK carriers. */
export const SMS_RECOMMENDED_MAX_LENGTH = 600;

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** The GSM 03.38 default alphabet without the escape and its extension table: one septet each. */
const GSM7_BASIC = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà]*$/;

export interface SegmentInfo {
  segments: number;
  encoding: SmsEncoding;
  /** Characters as the encoding counts them (GSM-7 extension characters count twice). */
  characters: number;
}

/**
 * Segment count and encoding as carriers bill them: GSM-7 160 per single
 * segment and 153 when split, any character outside GSM-7 makes the whole
 * message UCS-2 (70, then 67). Delegated to Twilio's own calculator package
 * rather than a hand-kept character table.
 */
export function countSegments(body: string): SegmentInfo {
  // Most texts are plain GSM-7 (no extension characters): counted directly,
  // about a hundred times faster than the calculator (a campaign counts 100,000).
  if (GSM7_BASIC.test(body)) {
    const n = body.length;
    return { segments: n <= 160 ? 1 : Math.ceil(n / 153), encoding: 'GSM-7', characters: n };
  }
  const m = new SegmentedMessage(body, 'auto');
  return { segments: m.segmentsCount, encoding: m.encodingName, characters: m.numberOfCharacters };
}

export interface CostEstimate {
  amount: number;
  currency: 'GBP' | 'USD';
  per_segment: number;
}

/**
 * Twilio charges per segment at the customer's own rates; this is an estimate
 * from the spec's figures (UK ~£0.04 a segment, US ~$0.0075 after A2P).
 * Other destinations use the UK figure, flagged as an estimate by the name.
 */
export function estimateCost(to: string, segments: number): CostEstimate {
  const [currency, perSegment] = to.startsWith('+1') ? (['USD', 0.0075] as const) : (['GBP', 0.04] as const);
  return { amount: Math.round(segments * perSegment * 10_000) / 10_000, currency, per_segment: perSegment };
}

export interface SmsWarning {
  code: 'long_message_deliverability';
  message: string;
}

export function lengthWarnings(body: string, info: SegmentInfo): SmsWarning[] {
  if (body.length <= SMS_RECOMMENDED_MAX_LENGTH) return [];
  return [
    {
      code: 'long_message_deliverability',
      message:
        `This message is ${body.length} characters (${info.segments} segments). Carriers, especially UK mobile ` +
        `carriers, often reject messages over ${SMS_RECOMMENDED_MAX_LENGTH} characters silently, without an error ` +
        'code. Consider splitting it, sending a link, or using email.',
    },
  ];
}
