import { Inject, Injectable, Optional } from '@nestjs/common';
import { BrokerClient } from '../broker/broker-client';
import { config } from '../config';
import { AppError } from '../errors';
import { NumbersCommands, ResolvedNumber } from '../contracts';
import { SecretBox } from '../crypto/secret-box';
import { TwilioClient, TwilioClientOptions, createTwilioClient } from '../twilio/twilio-client';
import { TtlCache } from './ttl-cache';

export interface NumberResolverOptions {
  /** How long a resolved number is trusted without an invalidation event (default 60 s). */
  ttlMs?: number;
  /** Most numbers kept per process (default 10 000). */
  maxEntries?: number;
}

export const NUMBER_RESOLVER_OPTIONS = 'NIXFLEX_NUMBER_RESOLVER_OPTIONS';

/** What the resolver needs from the broker; BrokerClient satisfies it. */
export type ResolveRpc = Pick<BrokerClient, 'request'>;

let box: SecretBox | undefined;
function secretBox(): SecretBox {
  box ??= new SecretBox(config().credentialsEncryptionKeys);
  return box;
}

/**
 * The Twilio auth token of a resolved number, in clear. Sealed with the phone
 * number as associated data, so a token copied onto another number's row does
 * not open. Keep the result in memory only: never log it, never return it.
 */
export function openTwilioToken(
  resolved: Pick<ResolvedNumber, 'phone_number' | 'twilio_auth_token_sealed'>,
): string {
  return secretBox().decrypt(resolved.twilio_auth_token_sealed, resolved.phone_number);
}

/** The Cal.com API key of a resolved number, in clear, or null without a calendar. */
export function openCalendarApiKey(
  resolved: Pick<ResolvedNumber, 'phone_number' | 'calendar'>,
): string | null {
  return resolved.calendar
    ? secretBox().decrypt(resolved.calendar.api_key_sealed, resolved.phone_number)
    : null;
}

/** A Twilio SDK client with the number's own credentials (sandbox-aware). */
export function twilioClientFor(resolved: ResolvedNumber, options?: TwilioClientOptions): TwilioClient {
  return createTwilioClient(
    resolved.twilio_account_sid,
    openTwilioToken(resolved),
    config().twilioApiBaseUrl,
    options,
  );
}

/**
 * A number's effective settings (agent prompt + BUSINESS PROFILE, voice and
 * webhook with their fallbacks, calendar, Twilio credentials), asked of the
 * numbers service with `numbers.resolve.v1` and cached in this process:
 * entries live 60 s, concurrent misses share one request, and
 * NumberResolverModule drops entries when `numbers.changed.v1` or
 * `agents.changed.v1` arrives. `number_not_found` (AppError) when the number
 * is not imported; that answer is not cached.
 */
@Injectable()
export class NumberResolver {
  private readonly cache: TtlCache<string, ResolvedNumber>;

  constructor(
    private readonly broker: BrokerClient,
    @Optional() @Inject(NUMBER_RESOLVER_OPTIONS) options?: NumberResolverOptions,
  ) {
    const rpc: ResolveRpc = broker;
    this.cache = new TtlCache(
      (phone) => rpc.request(NumbersCommands.numbersResolve, { phone_number: phone }),
      {
        ttlMs: options?.ttlMs ?? 60_000,
        maxEntries: options?.maxEntries ?? 10_000,
      },
    );
  }

  resolve(phoneNumber: string): Promise<ResolvedNumber> {
    return this.cache.get(phoneNumber.trim());
  }

  /**
   * The number as the numbers service has it now, not as cached: for an
   * irreversible act (placing a phone call) that must not go out from a number
   * deleted a moment ago whose `numbers.changed.v1` has not arrived yet.
   */
  resolveFresh(phoneNumber: string): Promise<ResolvedNumber> {
    this.invalidate(phoneNumber);
    return this.resolve(phoneNumber);
  }

  /**
   * The number a request sends from (an SMS, an outbound call): it must be
   * this account's (else 404 number_not_found, the same answer as a number
   * nobody imported) and attached to `agentId`, since the number's agent is
   * the one that talks. An agent that is not this account's is 404
   * agent_not_found, as agents are invisible across accounts. `whyTheAgent`
   * ends the number_not_attached_to_agent message.
   */
  async sendingNumber(
    accountId: string,
    phone: string,
    agentId: string,
    whyTheAgent: string,
  ): Promise<ResolvedNumber> {
    const notFound = () =>
      new AppError('number_not_found', `Phone number ${phone} is not imported in this account`);
    let resolved: ResolvedNumber;
    try {
      resolved = await this.resolve(phone);
    } catch (err) {
      if (err instanceof AppError && err.code === 'number_not_found') throw notFound();
      throw err;
    }
    if (resolved.account_id !== accountId) throw notFound();
    if (resolved.agent_id === agentId) return resolved;
    // Unknown (or another account's) agent: agent_not_found, raised by the numbers service.
    await this.broker.request(NumbersCommands.agentsGet, { account_id: accountId, agent_id: agentId });
    throw new AppError(
      'number_not_attached_to_agent',
      `Phone number ${phone} is attached to another agent; ${whyTheAgent}`,
    );
  }

  /** Drops one number (or every number without an argument). */
  invalidate(phoneNumber?: string): void {
    this.cache.invalidate(phoneNumber?.trim());
  }

  /** Drops every cached number attached to an agent (its prompt, voice, ... changed). */
  invalidateAgent(agentId: string): void {
    this.cache.invalidateWhere((n) => n.agent_id === agentId);
  }

  openTwilioToken(resolved: ResolvedNumber): string {
    return openTwilioToken(resolved);
  }

  openCalendarApiKey(resolved: ResolvedNumber): string | null {
    return openCalendarApiKey(resolved);
  }

  twilioClient(resolved: ResolvedNumber, options?: TwilioClientOptions): TwilioClient {
    return twilioClientFor(resolved, options);
  }
}
