import twilio from 'twilio';

/** What a caller hears when the voice service cannot take the call. */
export const VOICE_UNAVAILABLE_APOLOGY =
  "Sorry, we can't take your call right now. Please try again in a few minutes.";

/**
 * TwiML that apologises and hangs up: the answer to a voice webhook when the
 * voice service does not answer in time or fails, so a caller never hears
 * silence or Twilio's "application error".
 */
export function apologyTwiml(words = VOICE_UNAVAILABLE_APOLOGY): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(words);
  response.hangup();
  return response.toString();
}

/** What a caller still on the line hears when the relay session broke (the voice process died, the network dropped). */
export const VOICE_CONNECTION_LOST_APOLOGY =
  "Sorry, we've lost the connection on our side. Please call back in a moment. Goodbye.";

/** TwiML that ends the call: the answer to the `<Connect action>` once a relay session ended. */
export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}
