import { Inject, Injectable, Logger } from '@nestjs/common';
import { Outbox } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { MessagesRepository } from '../data';
import { TwilioSender } from '../dispatch/twilio-sender';
import { SMS_SETTINGS, SmsSettings } from '../sms.settings';
import { StatusMachine } from './status-machine';
import { NON_FINAL_STATUSES, fromTwilioStatus } from './status-rules';

const BATCH = 50;

/**
 * Status callbacks are not guaranteed: Twilio retries a failed callback at
 * most once, so callbacks sent while the webhooks service was down are gone.
 * A sent message whose status has not moved for SMS_STATUS_RECONCILE_AFTER_MS
 * and is not final is asked for at Twilio, and what Twilio says is applied
 * through the same status machine (forward only, final wins). Each message is
 * asked at most once per interval, with the interval doubling per look-up.
 */
@Injectable()
export class StatusReconciler {
  private readonly logger = new Logger('StatusReconciler');
  /** message id -> [next look-up time, look-ups so far]; bounded by the batch cadence. */
  private readonly nextCheck = new Map<string, [number, number]>();

  constructor(
    private readonly repo: MessagesRepository,
    private readonly numbers: NumberResolver,
    private readonly twilio: TwilioSender,
    private readonly machine: StatusMachine,
    private readonly outbox: Outbox,
    @Inject(SMS_SETTINGS) private readonly settings: SmsSettings,
  ) {}

  async run(): Promise<void> {
    const now = Date.now();
    const candidates = await this.repo.unchangedSince(
      NON_FINAL_STATUSES,
      this.settings.statusReconcileAfterMs,
      BATCH * 4,
    );
    const due = candidates.filter((m) => (this.nextCheck.get(m.id)?.[0] ?? 0) <= now).slice(0, BATCH);
    let changed = false;
    for (const msg of due) {
      const checks = (this.nextCheck.get(msg.id)?.[1] ?? 0) + 1;
      this.nextCheck.set(msg.id, [
        now + this.settings.statusReconcileAfterMs * 2 ** Math.min(checks, 8),
        checks,
      ]);
      try {
        const number = await this.numbers.resolve(msg.fromNumber);
        const fetched = await this.twilio.fetch(number, msg.twilioSid as string);
        const status = fromTwilioStatus(fetched.status);
        if (!status) continue;
        changed =
          (await this.repo.transaction(async (m) => {
            const row = await this.repo.lockMessage(m, msg.id);
            if (!row) return false;
            return this.machine.apply(m, row, {
              status,
              errorCode: fetched.errorCode !== null ? String(fetched.errorCode) : null,
              at: new Date(),
              source: 'sweeper',
            });
          })) || changed;
      } catch (err) {
        this.logger.warn(`${msg.id}: could not reconcile ${msg.twilioSid}: ${(err as Error).message}`);
      }
    }
    if (changed) this.outbox.kick();
    if (this.nextCheck.size > 100_000) this.nextCheck.clear();
  }
}
