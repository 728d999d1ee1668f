import { Column, Entity, PrimaryColumn } from 'typeorm';

export type OptOutSource = 'keyword' | 'twilio_21610';

/** A recipient who must not be texted from one of our numbers (STOP, or Twilio's 21610). */
@Entity({ name: 'opt_outs' })
export class OptOut {
  @PrimaryColumn('text', { name: 'our_number' })
  ourNumber: string;

  @PrimaryColumn('text')
  recipient: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('timestamptz', { name: 'opted_out_at' })
  optedOutAt: Date;

  @Column('text')
  source: OptOutSource;

  @Column('text', { nullable: true })
  keyword: string | null;
}
