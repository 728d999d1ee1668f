import type { EntityManager } from 'typeorm';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, Clock, Outbox, ResolvedNumber } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { MessagesRepository, SmsMessage, StatusCallbacksRepository } from '../data';
import { EXPIRED, EXPIRED_MESSAGE } from '../schedule/waiting-ends';
import { validityPeriodFor } from '../schedule/send-timing';
import { SmsPacer, throttleOf } from '../pacing/pacer';
import { SMS_SETTINGS, SmsSettings, retryDelayMs } from '../sms.settings';
import { StatusMachine } from '../status/status-machine';
import { decideCallback, fromTwilioStatus } from '../status/status-rules';
import { CreatedMessage, SendFailure, TwilioSender, sendFailureOf } from './twilio-sender';

interface Claim {
  msg: SmsMessage;
  /** The previous attempt may have reached Twilio: ask before sending again. */
  reconcile: boolean;
}

/** How far before our own creation time a reconciliation looks (clock skew). */
const RECONCILE_SKEW_MS = 60_000;
const RECONCILE_ROUNDS = 5;

/**
 * Sends stored messages to Twilio exactly once.
 *
 * 1. Claim (committed): `pending`/`uncertain` and due, or `in_flight` whose
 *    lease ran out (its worker died) -> `in_flight`, attempts + 1, lease set.
 *    Only one worker can win a claim.
 * 2. If the previous attempt may have reached Twilio (`uncertain`, or an
 *    abandoned `in_flight`), list Twilio's messages from/to/since and adopt a
 *    matching SID that no other message owns, instead of sending.
 * 3. Send with the number's credentials and our StatusCallback; store the SID
 *    (and apply callbacks that raced ahead) before returning, so the event that
 *    woke us is acked only after the SID is durable.
 *    A message past its `expires_at` (by the injected clock) is not sent: it
 *    ends `failed`/`expired` (after the reconciliation, which may find it was
 *    sent); one that is sent carries the time left as Twilio's ValidityPeriod.
 * 4. Refusal -> `failed` with Twilio's code. 429 / no connection -> `pending`
 *    again after a backoff with jitter; timeout / reset / 5xx -> `uncertain`.
 */
@Injectable()
export class SmsDispatcher {
  private readonly logger = new Logger('SmsDispatcher');

  constructor(
    private readonly repo: MessagesRepository,
    private readonly callbacks: StatusCallbacksRepository,
    private readonly machine: StatusMachine,
    private readonly outbox: Outbox,
    private readonly numbers: NumberResolver,
    private readonly twilio: TwilioSender,
    private readonly clock: Clock,
    @Inject(SMS_SETTINGS) private readonly settings: SmsSettings,
    private readonly pacer: SmsPacer,
  ) {}

  async dispatch(messageId: string): Promise<void> {
    const claim = await this.claim(messageId);
    if (!claim) return;
    const { msg } = claim;
    // Nothing can have reached Twilio for a pending claim: an expired one ends here.
    if (!claim.reconcile && this.isExpired(msg)) return this.fail(msg, EXPIRED, EXPIRED_MESSAGE);
    let number: ResolvedNumber;
    try {
      number = await this.numbers.resolve(msg.fromNumber);
    } catch (err) {
      if (err instanceof AppError && err.code === 'number_not_found') {
        return this.fail(msg, 'number_not_found', `Phone number ${msg.fromNumber} is no longer imported`);
      }
      return this.release(msg, 'pending', `number lookup failed: ${(err as Error).message}`);
    }
    if (number.account_id !== msg.accountId) {
      return this.fail(
        msg,
        'number_not_found',
        `Phone number ${msg.fromNumber} is no longer imported in this account`,
      );
    }

    if (claim.reconcile) {
      // Another message with the same body to the same recipient may adopt a
      // candidate first; then look again without it.
      for (let round = 0; round < RECONCILE_ROUNDS; round++) {
        let found: CreatedMessage | undefined;
        try {
          found = await this.reconcile(number, msg);
        } catch (err) {
          return this.release(
            msg,
            'uncertain',
            `reconciliation failed: ${sendFailureOf(err).kind}: ${(err as Error).message}`,
          );
        }
        if (!found) break;
        if (await this.storeSid(msg, found)) {
          this.logger.log(`${msg.id}: adopted ${found.sid} found at Twilio after an uncertain attempt`);
          return;
        }
      }
    }
    if (this.isExpired(msg)) return this.fail(msg, EXPIRED, EXPIRED_MESSAGE);
    if (msg.attempts > this.settings.maxAttempts) {
      return this.fail(
        msg,
        'twilio_unavailable',
        `Twilio could not be reached after ${msg.attempts - 1} attempts: ${msg.lastAttemptError ?? ''}`,
      );
    }

    // Pacing: wait for the sender's next slot, or hand the message back uncounted.
    const pace = await this.pacer.waitForSlot(msg, number);
    if (pace.kind === 'later') return this.deferPaced(msg, pace.at, pace.reason);

    let created: CreatedMessage;
    try {
      created = await this.twilio.create(number, msg.toNumber, msg.body, {
        validityPeriod: validityPeriodFor(msg.expiresAt, this.clock.now()),
      });
    } catch (err) {
      return this.onSendError(msg, sendFailureOf(err));
    }
    if (!(await this.storeSid(msg, created))) {
      this.logger.error(`${msg.id}: Twilio returned ${created.sid}, which another message already owns`);
    }
  }

  private async onSendError(msg: SmsMessage, failure: SendFailure): Promise<void> {
    // Twilio asks the sender to slow down (429, 21611): pause the sender, retry after the pause.
    const throttle = throttleOf(failure);
    if (throttle) {
      const at = await this.pacer.throttled(msg.fromNumber, throttle, msg.attempts);
      const why = failure.kind === 'refused' ? `${failure.code}: ${failure.message}` : failure.reason;
      return this.deferPaced(msg, at, `sender paused: ${why}`, true);
    }
    switch (failure.kind) {
      case 'refused':
        return this.fail(msg, failure.code, failure.message);
      case 'retry':
        return this.release(msg, 'pending', failure.reason);
      case 'uncertain':
        return this.release(msg, 'uncertain', failure.reason);
    }
  }

  private isExpired(msg: SmsMessage): boolean {
    return msg.expiresAt !== null && msg.expiresAt.getTime() <= this.clock.now().getTime();
  }

  private async claim(id: string): Promise<Claim | undefined> {
    const now = Date.now();
    const claimed = await this.repo.claimForDispatch(
      id,
      new Date(now),
      new Date(now + this.settings.leaseMs),
    );
    if (!claimed) return undefined;
    return { msg: claimed.msg, reconcile: claimed.previousState !== 'pending' };
  }

  private async reconcile(number: ResolvedNumber, msg: SmsMessage): Promise<CreatedMessage | undefined> {
    const since = new Date(msg.createdAt.getTime() - RECONCILE_SKEW_MS);
    const candidates = await this.twilio.findSent(number, msg.toNumber, msg.body, since);
    const owned = await this.repo.ownedSids(candidates.map((c) => c.sid));
    return candidates.find((c) => !owned.has(c.sid));
  }

  /**
   * Records the SID (work done), then applies any status callback that arrived
   * before it. False when another message already owns the SID (a concurrent
   * reconciliation adopted it first): the caller looks for another.
   */
  private async storeSid(msg: SmsMessage, created: CreatedMessage): Promise<boolean> {
    const stored = await this.repo.transaction(async (m) => {
      await this.callbacks.lockSid(m, created.sid);
      const { row, sidOwner } = await this.repo.lockMessageAndSidOwner(m, msg.id, created.sid);
      if (sidOwner !== null && sidOwner !== msg.id) return false;
      if (!row) return true;
      if (row.twilioSid !== null) {
        if (row.twilioSid !== created.sid) {
          this.logger.error(`${msg.id}: already has ${row.twilioSid}; Twilio also created ${created.sid}`);
        }
        return true;
      }
      const now = new Date();
      row.twilioSid = created.sid;
      row.twilioAccountSid = created.accountSid;
      const parked = await this.repo.storeSidAndTakeParked(m, row.id, {
        sid: created.sid,
        accountSid: created.accountSid,
        at: now,
      });
      const initial = fromTwilioStatus(created.status);
      if (initial) await this.machine.apply(m, row, { status: initial, at: now, source: 'sender' });
      // A parked callback keeps no account SID: only its status decides.
      for (const cb of parked) {
        const status = fromTwilioStatus(cb.status);
        const outcome = decideCallback({ status: row.status, accountMatches: true }, status);
        if (outcome === 'applied' && status) {
          await this.machine.apply(m, row, {
            status,
            errorCode: cb.errorCode,
            at: cb.receivedAt,
            source: 'twilio_callback',
          });
        }
        await this.callbacks.markApplied(m, cb.id, outcome);
      }
      return true;
    });
    this.outbox.kick();
    return stored;
  }

  /** Ends the message `failed` (only if this claim still owns it and no SID was stored). */
  private async fail(msg: SmsMessage, code: string, message: string): Promise<void> {
    await this.repo.transaction(async (m) => {
      const row = await this.lockOwnedClaim(m, msg);
      if (!row) return;
      await this.repo.updateMessage(m, row.id, {
        dispatchState: 'failed',
        leaseUntil: null,
        nextAttemptAt: null,
        lastAttemptError: `${code}: ${message}`.slice(0, 1000),
      });
      await this.machine.apply(m, row, {
        status: 'failed',
        errorCode: code,
        errorMessage: message,
        at: new Date(),
        source: 'sender',
      });
    });
    this.outbox.kick();
    this.logger.warn(`${msg.id}: failed (${code}) ${message}`);
  }

  /** Gives the claim back for a later attempt after a backoff with jitter. */
  private async release(msg: SmsMessage, state: 'pending' | 'uncertain', reason: string): Promise<void> {
    const delay = retryDelayMs(this.settings, msg.attempts);
    await this.repo.transaction(async (m) => {
      const row = await this.lockOwnedClaim(m, msg);
      if (!row) return;
      await this.repo.updateMessage(m, row.id, {
        dispatchState: state,
        leaseUntil: null,
        nextAttemptAt: new Date(Date.now() + delay),
        lastAttemptError: reason.slice(0, 1000),
      });
    });
    this.logger.warn(
      `${msg.id}: attempt ${msg.attempts} not sent (${state}, retry in ${delay} ms): ${reason}`,
    );
  }

  /** The locked row while this claim still owns it and no SID was stored; otherwise null. */
  private async lockOwnedClaim(m: EntityManager, msg: SmsMessage): Promise<SmsMessage | null> {
    const row = await this.repo.lockMessage(m, msg.id);
    const owned =
      row !== null &&
      row.twilioSid === null &&
      row.dispatchState === 'in_flight' &&
      row.attempts === msg.attempts;
    return owned ? row : null;
  }

  /**
   * Pacing: gives the claim back for `at`. A wait for the sender's slot does
   * not count as an attempt; a throttled send (429, 21611) does, so a sender
   * Twilio keeps refusing still ends after SMS_MAX_SEND_ATTEMPTS.
   */
  private async deferPaced(msg: SmsMessage, at: Date, reason: string, countAttempt = false): Promise<void> {
    await this.repo.transaction(async (m) => {
      const row = await this.lockOwnedClaim(m, msg);
      if (!row) return;
      await this.repo.updateMessage(m, row.id, {
        dispatchState: 'pending',
        attempts: countAttempt ? msg.attempts : msg.attempts - 1,
        leaseUntil: null,
        nextAttemptAt: at,
        lastAttemptError: reason.slice(0, 1000),
      });
    });
    if (countAttempt)
      this.logger.warn(`${msg.id}: attempt ${msg.attempts} ${reason}; next at ${at.toISOString()}`);
    else this.logger.debug(`${msg.id}: not sent yet (${reason}), next try at ${at.toISOString()}`);
  }
}
