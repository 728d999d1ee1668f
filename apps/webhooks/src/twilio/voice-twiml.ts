import twilio from 'twilio';

/** What a caller hears when the voice service cannot take the call. */
export const VOICE_UNAVAILABLE_APOLOGY =
  "Sorry, we can't take your call right now. Please try again in a few minutes.";

/**
 * TwiML that apologises and hangs up: the answer to a voice webhook when the
 * voice service does not answer in time or fails, so a caller never hears
 * silence or Twilio's "application error".
 */
export function apologyTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(VOICE_UNAVAILABLE_APOLOGY);
  response.hangup();
  return response.toString();
}

/** TwiML that ends the call: the answer to the `<Connect action>` once a relay session ended. */
export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}
