import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Messaging's copy of an account's send settings (`accounts.settings-changed.v1`). */
@Entity({ name: 'account_destinations' })
export class AccountDestinations {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'allowed_countries', array: true })
  allowedCountries: string[];

  /** Quiet hours, HH:MM in the recipient's local time (21:00-09:00 by default). */
  @Column('text', { name: 'quiet_hours_start', default: '21:00' })
  quietHoursStart: string;

  @Column('text', { name: 'quiet_hours_end', default: '09:00' })
  quietHoursEnd: string;

  /** Whether a send that does not say `respect_quiet_hours` respects them. */
  @Column('boolean', { name: 'respect_quiet_hours_default', default: false })
  respectQuietHoursDefault: boolean;

  /** The gateway's settings version this row reflects. */
  @Column('integer')
  version: number;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
