import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'account_destinations' })
export class AccountDestinations {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'allowed_countries', array: true })
  allowedCountries: string[];

  /** The gateway's settings version this row reflects. */
  @Column('integer')
  version: number;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
