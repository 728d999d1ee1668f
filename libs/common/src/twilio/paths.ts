import { config } from '../config';

/**
 * The paths of apps/webhooks that Twilio calls, in one place: the numbers
 * service points imported numbers at them (VoiceUrl, SmsUrl,
 * StatusCallback), messaging gives the status callback with every send, and
 * the webhooks routes listen on them. The public URL (what Twilio calls and
 * what signatures are computed over) is PUBLIC_WEBHOOK_BASE_URL + path.
 */
export const TwilioPaths = {
  /** Inbound SMS to an imported number (the number's SmsUrl); our number is `To`. */
  sms: '/twilio/sms',
  /** Status callbacks of the SMS we send (StatusCallback of each send); our number is `From`. */
  smsStatus: '/twilio/sms-status',
  /** Inbound calls to an imported number (the number's VoiceUrl); our number is `To`. */
  voice: '/twilio/voice',
  /** Call status callbacks (the number's StatusCallback). */
  voiceStatus: '/twilio/voice-status',
} as const;

export type TwilioPath = (typeof TwilioPaths)[keyof typeof TwilioPaths];

/** The public URL of a Twilio webhook path: what Twilio is told to call and what it signs. */
export function twilioWebhookUrl(path: TwilioPath, baseUrl = config().publicWebhookBaseUrl): string {
  return `${baseUrl}${path}`;
}
