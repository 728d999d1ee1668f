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
  /**
   * TwiML for an outbound call the callee answered (the `Url` of each call we
   * place, with `?call_id=`); our number is `From`.
   */
  voiceOutbound: '/twilio/voice/outbound',
  /** The `<Connect action>` of every call: the ConversationRelay session ended. */
  voiceRelayEnded: '/twilio/voice/relay-ended',
  /**
   * Call status callbacks (the number's StatusCallback, and each outbound
   * call's); our number is `To` for inbound calls, `From` for outbound ones.
   */
  voiceStatus: '/twilio/voice-status',
} as const;

export type TwilioPath = (typeof TwilioPaths)[keyof typeof TwilioPaths];

/**
 * The path of the ConversationRelay WebSocket on the voice service
 * (PUBLIC_VOICE_BASE_URL + this + `?call_id=`), signed by Twilio on the handshake.
 */
export const VOICE_RELAY_PATH = '/twilio/voice/relay';

/** The public URL of a Twilio webhook path: what Twilio is told to call and what it signs. */
export function twilioWebhookUrl(path: TwilioPath, baseUrl = config().publicWebhookBaseUrl): string {
  return `${baseUrl}${path}`;
}
