/** Which secret a sealed broker field holds; part of its associated data. */
export type BrokerSecretKind = 'twilio_token' | 'calendar_api_key' | 'webhook_secret';

/**
 * Associated data of a secret sealed for the broker (a command field, a
 * reply): the kind and the account, so a sealed value copied into another
 * field or another account's message does not open.
 */
export function brokerSecretAad(kind: BrokerSecretKind, accountId: string): string {
  return `broker:${kind}:${accountId}`;
}
