import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, Outbox, ResolvedNumber } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import type { EntityManager } from 'typeorm';
import { Call } from '../data/call.entities';
import { OutboundCallsRepository } from '../data/outbound-calls.repository';
import { CallLifecycle } from '../status/call-lifecycle';
import { fromTwilioCallStatus } from '../status/call-status-rules';
import { DIAL_SETTINGS, DialSettings, dialRetryDelayMs } from './dial.settings';
import { DialFailure, PlacedCall, TwilioCaller, dialFailureOf } from './twilio-caller';

/** How far before our own creation time a reconciliation looks (clock skew between us and Twilio). */
const RECONCILE_SKEW_MS = 60_000;
/** Candidates tried when another call adopts the one found first. */
const RECONCILE_ROUNDS = 5;

/**
 * Places stored outbound calls with Twilio exactly once (a duplicate phone
 * call is worse than a duplicate text), as SmsDispatcher sends texts:
 *
 * 1. Claim (committed): `pending`/`uncertain` and due, or `in_flight` whose
 *    lease ran out (its worker died) -> `in_flight`, attempts + 1, lease set.
 *    Only one worker wins a claim.
 * 2. If the previous attempt may have reached Twilio (`uncertain`, or an
 *    abandoned `in_flight`), list Twilio's calls from our number to the
 *    callee since the call was accepted and adopt one no other call owns,
 *    instead of creating.
 * 3. Create with the number's credentials, our Url and StatusCallback (both
 *    with `?call_id=`); store the CallSid only if none is stored (the answer
 *    webhook may have stored it first) and apply Twilio's status through
 *    CallLifecycle, before the event that woke us is acked.
 * 4. Refusal -> `failed`, `dial_failed`, Twilio's code. 429 / no connection ->
 *    `pending` again after a backoff; timeout / reset / 5xx -> `uncertain`.
 */
@Injectable()
export class Dialler {
  private readonly logger = new Logger('Dialler');

  constructor(
    private readonly repo: OutboundCallsRepository,
    private readonly lifecycle: CallLifecycle,
    private readonly outbox: Outbox,
    private readonly numbers: NumberResolver,
    private readonly twilio: TwilioCaller,
    @Inject(DIAL_SETTINGS) private readonly settings: DialSettings,
  ) {}

  async dial(callId: string): Promise<void> {
    const now = Date.now();
    const claim = await this.repo.claim(callId, new Date(now), new Date(now + this.settings.leaseMs));
    if (!claim) return;
    const { call } = claim;
    const number = await this.resolveNumber(call);
    if (!number) return;

    if (claim.previousState !== 'pending') {
      const outcome = await this.reconcile(number, call);
      if (outcome !== 'not_found') return;
    }
    if (call.attempts > this.settings.maxAttempts) {
      return this.fail(
        call,
        'twilio_unavailable',
        `Twilio could not be reached after ${call.attempts - 1} attempts: ${call.lastAttemptError ?? ''}`,
      );
    }

    let placed: PlacedCall;
    try {
      placed = await this.twilio.create(number, call.id, call.toNumber);
    } catch (err) {
      return this.onDialError(call, dialFailureOf(err));
    }
    if (!(await this.storeSid(call, placed))) {
      this.logger.error(`${call.id}: Twilio returned ${placed.sid}, which another call already owns`);
    }
  }

  /** The sending number, or undefined when the attempt ended here (failed or released). */
  private async resolveNumber(call: Call): Promise<ResolvedNumber | undefined> {
    let number: ResolvedNumber;
    try {
      // Fresh, not cached: a call must not go out from a number deleted a moment ago.
      number = await this.numbers.resolveFresh(call.fromNumber);
    } catch (err) {
      if (err instanceof AppError && err.code === 'number_not_found') {
        await this.fail(call, 'number_not_found', `Phone number ${call.fromNumber} is no longer imported`);
      } else {
        await this.release(call, 'pending', `number lookup failed: ${(err as Error).message}`);
      }
      return undefined;
    }
    if (number.account_id !== call.accountId) {
      await this.fail(
        call,
        'number_not_found',
        `Phone number ${call.fromNumber} is no longer imported in this account`,
      );
      return undefined;
    }
    return number;
  }

  /**
   * After an attempt that may have reached Twilio: adopt the call Twilio
   * placed (`adopted`), or `not_found` to create one; `released` when Twilio
   * could not be asked (the attempt stays uncertain and is asked again later).
   */
  private async reconcile(number: ResolvedNumber, call: Call): Promise<'adopted' | 'not_found' | 'released'> {
    // Another of our calls to the same callee may adopt a candidate first; then look again without it.
    for (let round = 0; round < RECONCILE_ROUNDS; round++) {
      let found: PlacedCall | undefined;
      try {
        const since = new Date(call.createdAt.getTime() - RECONCILE_SKEW_MS);
        const candidates = await this.twilio.findPlaced(number, call.toNumber, since);
        const owned = await this.repo.ownedSids(candidates.map((c) => c.sid));
        found = candidates.find((c) => !owned.has(c.sid));
      } catch (err) {
        const f = dialFailureOf(err);
        const reason = f.kind === 'refused' ? `${f.code}: ${f.message}` : f.reason;
        await this.release(call, 'uncertain', `reconciliation failed: ${reason}`);
        return 'released';
      }
      if (!found) return 'not_found';
      if (await this.storeSid(call, found)) {
        this.logger.log(`${call.id}: adopted ${found.sid} found at Twilio after an uncertain attempt`);
        return 'adopted';
      }
    }
    return 'not_found';
  }

  private async onDialError(call: Call, failure: DialFailure): Promise<void> {
    switch (failure.kind) {
      case 'refused':
        return this.fail(call, failure.code, failure.message);
      case 'retry':
        return this.release(call, 'pending', failure.reason);
      case 'uncertain':
        return this.release(call, 'uncertain', failure.reason);
    }
  }

  /**
   * Records the CallSid (dialling is done) and applies the status Twilio gave.
   * The SID is written only if none is stored: the answer webhook may have
   * stored it first (same SID: fine; another: logged, never overwritten).
   * False when another call already owns the SID (a concurrent
   * reconciliation adopted it first): the caller looks for another.
   */
  private async storeSid(claimed: Call, placed: PlacedCall): Promise<boolean> {
    const stored = await this.repo.transaction(async (m) => {
      const { call, sidOwner } = await this.repo.lockWithSidOwner(m, claimed.id, placed.sid);
      if (sidOwner !== null && sidOwner !== claimed.id) return false;
      if (!call) return true;
      if (call.twilioSid !== null && call.twilioSid !== placed.sid) {
        this.logger.error(`${call.id}: already has ${call.twilioSid}; Twilio also placed ${placed.sid}`);
      }
      const done = {
        twilioSid: call.twilioSid ?? placed.sid,
        twilioAccountSid: call.twilioAccountSid ?? placed.accountSid,
        dispatchState: call.dispatchState === 'failed' ? ('failed' as const) : ('done' as const),
        leaseUntil: null,
        nextAttemptAt: null,
        lastAttemptError: null,
      };
      await this.repo.update(m, call.id, done);
      Object.assign(call, done);
      const status = fromTwilioCallStatus(placed.status);
      if (status) await this.lifecycle.apply(m, call, { status, at: new Date(), source: 'dialler' });
      return true;
    });
    this.outbox.kick();
    return stored;
  }

  /** Ends the call `failed` (only while this claim still owns it and no SID was stored). */
  private async fail(claimed: Call, code: string, message: string): Promise<void> {
    const failed = await this.repo.transaction(async (m) => {
      const call = await this.lockOwnedClaim(m, claimed);
      if (!call) return false;
      const columns = {
        dispatchState: 'failed' as const,
        leaseUntil: null,
        nextAttemptAt: null,
        lastAttemptError: `${code}: ${message}`.slice(0, 1000),
      };
      await this.repo.update(m, call.id, columns);
      Object.assign(call, columns);
      await this.lifecycle.apply(m, call, {
        status: 'failed',
        at: new Date(),
        source: 'dialler',
        errorCode: code,
        errorMessage: message,
        endReason: 'dial_failed',
      });
      return true;
    });
    if (!failed) return;
    this.outbox.kick();
    this.logger.warn(`${claimed.id}: failed (${code}) ${message}`);
  }

  /** Gives the claim back for a later attempt after a backoff with jitter. */
  private async release(claimed: Call, state: 'pending' | 'uncertain', reason: string): Promise<void> {
    const delay = dialRetryDelayMs(this.settings, claimed.attempts);
    await this.repo.transaction(async (m) => {
      const call = await this.lockOwnedClaim(m, claimed);
      if (!call) return;
      await this.repo.update(m, call.id, {
        dispatchState: state,
        leaseUntil: null,
        nextAttemptAt: new Date(Date.now() + delay),
        lastAttemptError: reason.slice(0, 1000),
      });
    });
    this.logger.warn(
      `${claimed.id}: attempt ${claimed.attempts} not placed (${state}, retry in ${delay} ms): ${reason}`,
    );
  }

  /** The locked row while this claim still owns it and no SID was stored; otherwise null. */
  private async lockOwnedClaim(m: EntityManager, claimed: Call): Promise<Call | null> {
    const call = await this.repo.lock(m, claimed.id);
    const owned =
      call !== null &&
      call.twilioSid === null &&
      call.dispatchState === 'in_flight' &&
      call.attempts === claimed.attempts;
    return owned ? call : null;
  }
}
