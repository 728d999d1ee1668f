import { config } from '@nixflex/common';
import { TwilioPaths, VOICE_RELAY_PATH, twilioWebhookUrl } from '@nixflex/common/twilio';
import twilio from 'twilio';

export interface RelayTwimlInput {
  callId: string;
  greeting: string;
  voice: string;
}

/** The relay WebSocket URL of a call: what Twilio opens and signs (query string included). */
export function relayUrl(callId: string): string {
  return `${config().publicVoiceBaseUrl}${VOICE_RELAY_PATH}?call_id=${encodeURIComponent(callId)}`;
}

/**
 * The answer to a voice webhook: connect the call to our ConversationRelay
 * WebSocket (Twilio does speech-to-text and text-to-speech; we stream the
 * agent's words), and when the session ends, ask the relay-ended webhook what
 * to do next (it hangs up). Built with the SDK, never by hand.
 */
export function relayTwiml(input: RelayTwimlInput): string {
  const v = config().voice;
  const response = new twilio.twiml.VoiceResponse();
  const connect = response.connect({ action: twilioWebhookUrl(TwilioPaths.voiceRelayEnded) });
  const relay = connect.conversationRelay({
    url: relayUrl(input.callId),
    welcomeGreeting: input.greeting,
    voice: input.voice,
    ttsProvider: v.ttsProvider,
    language: v.language,
    interruptible: 'any',
    dtmfDetection: true,
  });
  relay.parameter({ name: 'call_id', value: input.callId });
  return response.toString();
}
