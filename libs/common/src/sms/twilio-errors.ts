/**
 * Meanings of the Twilio error codes an SMS can end with. Status callbacks
 * carry only `ErrorCode`; this is what we store and show beside it.
 * From Twilio's public error dictionary.
 */
const MEANINGS: Record<string, string> = {
  '20003': 'Authentication failed: the Twilio credentials of this number were rejected',
  '20429': 'Too many concurrent requests',
  '21211': "Invalid 'To' phone number",
  '21408': 'Permission to send an SMS has not been enabled for the region of the recipient',
  '21602': 'Message body is required',
  '21603': "'From' phone number is required",
  '21604': "'To' phone number is required",
  '21606': "The 'From' phone number is not a valid, SMS-capable number of this Twilio account",
  '21610': 'Attempt to send to unsubscribed recipient (the recipient replied STOP)',
  '21611': "This 'From' number has exceeded the maximum number of queued messages",
  '21612': "The 'To' phone number is not currently reachable via SMS",
  '21614': "'To' number is not a valid mobile number",
  '21617': 'The concatenated message body exceeds the 1600 character limit',
  '30001': 'Queue overflow',
  '30002': 'Account suspended',
  '30003': 'Unreachable destination handset',
  '30004': 'Message blocked',
  '30005': 'Unknown destination handset',
  '30006': 'Landline or unreachable carrier',
  '30007': 'Message filtered by the carrier',
  '30008': 'Unknown error',
  '30009': 'Missing segment',
  '30010': 'Message price exceeds max price',
  '30034': 'Message from an unregistered number (US A2P 10DLC)',
};

export function twilioErrorMeaning(code: string | number | null | undefined): string | null {
  if (code === null || code === undefined || code === '') return null;
  return MEANINGS[String(code)] ?? `Twilio error ${code}`;
}

/** Twilio's documentation page of an error code. */
export function twilioErrorUrl(code: string | number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}
