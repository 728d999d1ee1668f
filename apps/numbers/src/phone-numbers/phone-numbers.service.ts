import { Injectable, Logger } from '@nestjs/common';
import {
  AppError,
  BrokerSecretKind,
  DEFAULT_CALENDAR_TIME_ZONE,
  DeleteNumberCommand,
  DeleteNumberResult,
  ImportNumberCommand,
  ListNumbersCommand,
  NumberChangedEvent,
  NumberRef,
  NumbersEvents,
  Outbox,
  Page,
  PhoneNumberDto,
  SecretBox,
  UpdateNumberCommand,
  brokerSecretAad,
  config,
  isTwilioAccountSid,
  newId,
  toE164,
} from '@nixflex/common';
import { mapPage } from '@nixflex/common/db/keyset';
import { EntityManager } from 'typeorm';
import { normalizePostCallTemplate } from '../agents/post-call-template';
import { normalizeWelcomeGreeting } from '../agents/welcome-greeting';
import { normalizeCustomPrompt } from './business-profile';
import { PhoneNumber, WebhookSet } from './phone-number.entity';
import { toPhoneNumberDto } from './phone-number.mapper';
import { PhoneNumbersRepository } from './phone-numbers.repository';
import { CLEARED_WEBHOOKS, TwilioCredentials, TwilioNumbers, nixflexWebhooks } from './twilio-numbers';

/**
 * A number from a path: `+447...`, `%2B447...` (decoded by the router), or
 * `" 447..."` where a form-style decoder turned the `+` into a space.
 */
export function parsePhone(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : '';
  const phone = toE164(text.trim()) ?? (/^ \d+$/.test(text) ? toE164(`+${text.slice(1)}`) : undefined);
  if (!phone) {
    throw new AppError('invalid_phone_format', 'phone_number must be in E.164 format, e.g. +447446466847');
  }
  return phone;
}

@Injectable()
export class PhoneNumbersService {
  private readonly logger = new Logger('PhoneNumbers');
  private readonly box = new SecretBox(config().credentialsEncryptionKeys);

  constructor(
    private readonly repo: PhoneNumbersRepository,
    private readonly twilio: TwilioNumbers,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Opens a secret the gateway sealed for the broker. A value that does not
   * open (wrong key, another account's, tampered) is refused without echoing it.
   */
  private openFromBroker(kind: BrokerSecretKind, sealed: string, accountId: string): string {
    try {
      return this.box.decrypt(sealed, brokerSecretAad(kind, accountId));
    } catch {
      this.logger.warn(
        `a sealed ${kind} for ${accountId} did not open (key id ${SecretBox.keyIdOf(sealed)})`,
      );
      throw new AppError('validation_failed', `${kind} could not be read; send the request again`);
    }
  }

  /**
   * The spec's five steps, in its order, each failure with its own code:
   * 1 formats, 2 the number in the caller's Twilio account, 3 the agent,
   * then the row is claimed (409 for a duplicate, before Twilio is touched),
   * 4 Twilio is rewired, 5 the row becomes visible with its event.
   */
  async import(cmd: ImportNumberCommand): Promise<PhoneNumberDto> {
    // 1. Formats (and the other local checks, before any side effect).
    if (typeof cmd.phone_number !== 'string' || !toE164(cmd.phone_number)) {
      throw new AppError('invalid_phone_format', 'phone_number must be in E.164 format, e.g. +447446466847');
    }
    const phone = cmd.phone_number;
    if (!isTwilioAccountSid(cmd.twilio_sid)) {
      throw new AppError(
        'invalid_twilio_sid',
        'twilio_sid must be a Twilio Account SID: AC followed by 32 hex characters',
      );
    }
    const customPrompt = normalizeCustomPrompt(cmd.custom_prompt) ?? null;
    const welcomeGreeting = normalizeWelcomeGreeting(cmd.welcome_greeting) ?? null;
    const postCallSmsTemplate = normalizePostCallTemplate(cmd.post_call_sms_template) ?? null;
    const twilioToken = this.openFromBroker('twilio_token', cmd.twilio_token_sealed, cmd.account_id);
    const calendarKey = cmd.calendar
      ? this.openFromBroker('calendar_api_key', cmd.calendar.api_key_sealed, cmd.account_id)
      : null;
    const creds: TwilioCredentials = { accountSid: cmd.twilio_sid, authToken: twilioToken };

    // 2. The number exists in that Twilio account (strict equality after Twilio's partial match).
    const found = await this.twilio.find(creds, phone);

    // 3. The agent belongs to the caller.
    const owner = await this.repo.agentAccount(cmd.agent_id);
    if (owner === undefined) throw new AppError('agent_not_found', `No agent ${cmd.agent_id}`);
    if (owner !== cmd.account_id) {
      throw new AppError('agent_not_owned', `Agent ${cmd.agent_id} does not belong to this account`);
    }

    const id = newId('pn');
    await this.repo.claim({
      id,
      phoneNumber: phone,
      accountId: cmd.account_id,
      apiKeyId: cmd.api_key_id,
      agentId: cmd.agent_id,
      twilioAccountSid: cmd.twilio_sid,
      twilioNumberSid: found.sid,
      twilioAuthTokenSealed: this.box.encrypt(twilioToken, phone),
      customPrompt,
      voice: cmd.voice || null,
      webhookUrl: cmd.webhook_url || null,
      welcomeGreeting,
      postCallSmsTemplate,
      smsRatePerSecond: cmd.sms_rate_per_second ?? null,
      calendarEventTypeId: cmd.calendar ? cmd.calendar.event_type_id : null,
      calendarApiKeySealed: calendarKey !== null ? this.box.encrypt(calendarKey, phone) : null,
      calendarTimeZone: cmd.calendar?.time_zone ?? DEFAULT_CALENDAR_TIME_ZONE,
      previousWebhooks: found.webhooks,
    });

    // 4. Rewire Twilio to Nixflex.
    try {
      await this.twilio.setWebhooks(creds, found.sid, nixflexWebhooks());
    } catch (err) {
      await this.undoClaim(id, creds, found.sid, found.webhooks, err);
      throw err;
    }

    // 5. The row becomes visible, announced in the same transaction.
    let row: PhoneNumber | null;
    try {
      row = await this.repo.transaction(async (m) => {
        const active = await this.repo.activate(m, id);
        if (active) await this.announce(m, active, 'imported');
        return active;
      });
    } catch (err) {
      await this.undoClaim(id, creds, found.sid, found.webhooks, err);
      throw err;
    }
    if (!row) {
      await this.undoClaim(id, creds, found.sid, found.webhooks, undefined);
      throw new AppError('service_unavailable', 'The import took too long and was abandoned; try again');
    }
    this.outbox.kick();
    this.logger.log(`imported ${phone} for ${cmd.account_id} (Twilio ${cmd.twilio_sid})`);
    return toPhoneNumberDto(row);
  }

  /**
   * Gives the number back after a failed import: the claim is released and,
   * when Twilio may have applied the rewire (timeout, 5xx after apply, DB
   * failure afterwards), the previous webhooks are put back, best effort.
   */
  private async undoClaim(
    id: string,
    creds: TwilioCredentials,
    sid: string,
    previous: WebhookSet,
    cause: unknown,
  ) {
    const twilioRejected =
      cause instanceof AppError &&
      (cause.code === 'twilio_auth_failed' || cause.code === 'twilio_number_not_found');
    if (!twilioRejected) {
      await this.twilio.setWebhooks(creds, sid, previous).catch(() => {
        this.logger.warn(`could not put back the previous webhooks of ${sid} after a failed import`);
      });
    }
    await this.repo
      .releaseClaim(id)
      .catch((e: Error) => this.logger.error(`could not release claim ${id}: ${e.message}`));
  }

  async list(cmd: ListNumbersCommand): Promise<Page<PhoneNumberDto>> {
    return mapPage(await this.repo.page(cmd.account_id, cmd.agent_id, cmd), toPhoneNumberDto);
  }

  async get(ref: NumberRef): Promise<PhoneNumberDto> {
    return toPhoneNumberDto(await this.mustFind(parsePhone(ref.phone_number), ref.account_id));
  }

  async update(cmd: UpdateNumberCommand): Promise<PhoneNumberDto> {
    const phone = parsePhone(cmd.phone_number);
    const customPrompt = normalizeCustomPrompt(cmd.custom_prompt);
    const welcomeGreeting = normalizeWelcomeGreeting(cmd.welcome_greeting);
    const postCallSmsTemplate = normalizePostCallTemplate(cmd.post_call_sms_template);
    const calendarKey = cmd.calendar
      ? this.openFromBroker('calendar_api_key', cmd.calendar.api_key_sealed, cmd.account_id)
      : null;
    const row = await this.repo.transaction(async (m) => {
      const n = await this.mustFind(phone, cmd.account_id, m, true);
      if (customPrompt !== undefined) n.customPrompt = customPrompt;
      if (cmd.voice !== undefined) n.voice = cmd.voice || null;
      if (cmd.webhook_url !== undefined) n.webhookUrl = cmd.webhook_url || null;
      if (welcomeGreeting !== undefined) n.welcomeGreeting = welcomeGreeting;
      if (postCallSmsTemplate !== undefined) n.postCallSmsTemplate = postCallSmsTemplate;
      if (cmd.sms_rate_per_second !== undefined) n.smsRatePerSecond = cmd.sms_rate_per_second;
      if (cmd.calendar !== undefined) {
        n.calendarEventTypeId = cmd.calendar ? cmd.calendar.event_type_id : null;
        n.calendarApiKeySealed = calendarKey !== null ? this.box.encrypt(calendarKey, phone) : null;
        n.calendarTimeZone = cmd.calendar?.time_zone ?? DEFAULT_CALENDAR_TIME_ZONE;
      }
      const saved = await this.repo.save(m, n);
      await this.announce(m, saved, 'updated');
      return saved;
    });
    this.outbox.kick();
    return toPhoneNumberDto(row);
  }

  /**
   * Clears the number's Twilio webhooks (or restores the pre-import ones)
   * and removes the row; the number stays in the Twilio account. Twilio
   * unreachable: 502 and the row stays, so the call can be repeated. Twilio
   * refusing for good (credentials revoked, number released): the row goes
   * anyway, and the answer says the webhooks were left unchanged.
   */
  async delete(cmd: DeleteNumberCommand): Promise<DeleteNumberResult> {
    const phone = parsePhone(cmd.phone_number);
    const n = await this.mustFind(phone, cmd.account_id);
    const restore = cmd.restore_webhooks === true;
    const target = restore && n.previousWebhooks ? n.previousWebhooks : CLEARED_WEBHOOKS;
    const creds = {
      accountSid: n.twilioAccountSid,
      authToken: this.box.decrypt(n.twilioAuthTokenSealed, phone),
    };
    let result: DeleteNumberResult = {
      phone_number: phone,
      deleted: true,
      webhooks: restore ? 'restored' : 'cleared',
    };
    try {
      await this.twilio.setWebhooks(creds, n.twilioNumberSid, target);
    } catch (err) {
      if (!(err instanceof AppError) || err.code === 'twilio_unavailable') throw err;
      result = { ...result, webhooks: 'unchanged', webhooks_note: `${err.code}: ${err.message}` };
    }
    const removed = await this.repo.transaction(async (m) => {
      const gone = await this.repo.remove(m, n.id);
      if (gone) await this.announce(m, n, 'deleted');
      return gone;
    });
    if (!removed) throw new AppError('number_not_found', `${phone} is not imported in this account`);
    this.outbox.kick();
    return result;
  }

  private async mustFind(
    phone: string,
    accountId: string,
    m?: EntityManager,
    lock = false,
  ): Promise<PhoneNumber> {
    const n = await this.repo.findActive(phone, accountId, m, lock);
    if (!n) throw new AppError('number_not_found', `${phone} is not imported in this account`);
    return n;
  }

  private async announce(
    m: EntityManager,
    n: PhoneNumber,
    change: NumberChangedEvent['change'],
  ): Promise<void> {
    await this.outbox.add(m, NumbersEvents.numberChanged, {
      phone_number: n.phoneNumber,
      account_id: n.accountId,
      agent_id: n.agentId,
      change,
    });
  }
}
