import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ListBookingsCommand, Page } from '@nixflex/common';
import { TransactionalRepository } from '@nixflex/common/db';
import { keysetPage } from '@nixflex/common/db/keyset';
import { DataSource, EntityManager } from 'typeorm';
import { Booking } from './booking.entity';

/** A pending row older than this belongs to an attempt that died mid-way: the next repeat takes it over. */
export const STALE_PENDING_SECONDS = 60;

/** All SQL of bookings. */
@Injectable()
export class BookingsRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /**
   * Claims the idempotency key with a `pending` row, committed at once. When
   * the key is taken, the row that holds it: a finished one is the answer; a
   * pending one is an attempt in flight (or, stale, a dead one).
   */
  async claim(
    row: Omit<Booking, 'createdAt' | 'updatedAt'>,
  ): Promise<{ claimed: true } | { claimed: false; row: Booking }> {
    const res = await this.ds
      .createQueryBuilder()
      .insert()
      .into(Booking)
      .values(row)
      .orIgnore()
      .returning(['id'])
      .execute();
    if (res.raw.length > 0) return { claimed: true };
    const existing = await this.byKey(row.accountId, row.idempotencyKey);
    if (!existing) return this.claim(row); // the holder vanished (a stale takeover deleted it): try again
    return { claimed: false, row: existing };
  }

  byKey(accountId: string, idempotencyKey: string): Promise<Booking | null> {
    return this.ds.manager.findOneBy(Booking, { accountId, idempotencyKey });
  }

  /** Takes over a pending row nobody finished; true when this caller now holds it. */
  async takeOverStale(id: string): Promise<boolean> {
    const res = await this.ds
      .createQueryBuilder()
      .update(Booking)
      .set({ updatedAt: () => 'now()' })
      .where(`id = :id AND status = 'pending' AND updated_at < now() - make_interval(secs => :secs)`, {
        id,
        secs: STALE_PENDING_SECONDS,
      })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  /** Records the outcome of a pending row (in the caller's transaction). */
  async finish(m: EntityManager, id: string, outcome: Partial<Booking>): Promise<Booking> {
    await m.update(Booking, { id, status: 'pending' }, { ...outcome, updatedAt: () => 'now()' });
    return m.findOneByOrFail(Booking, { id });
  }

  page(cmd: ListBookingsCommand): Promise<Page<Booking>> {
    const qb = this.ds
      .getRepository(Booking)
      .createQueryBuilder('b')
      .where('b.account_id = :accountId', { accountId: cmd.account_id });
    if (cmd.phone_number !== undefined) qb.andWhere('b.phone_number = :phone', { phone: cmd.phone_number });
    if (cmd.call_id !== undefined) qb.andWhere('b.call_id = :callId', { callId: cmd.call_id });
    if (cmd.status !== undefined) qb.andWhere('b.status = :status', { status: cmd.status });
    if (cmd.contact !== undefined) qb.andWhere('b.contact = :contact', { contact: cmd.contact });
    return keysetPage(qb, 'b', cmd);
  }
}
