import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'account_settings' })
export class AccountSettings {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'allowed_destination_countries', array: true })
  allowedDestinationCountries: string[];

  @Column('text', { name: 'quiet_hours_start' })
  quietHoursStart: string;

  @Column('text', { name: 'quiet_hours_end' })
  quietHoursEnd: string;

  @Column('boolean', { name: 'respect_quiet_hours_default' })
  respectQuietHoursDefault: boolean;

  /** Monthly LLM token budget; null = LLM_MONTHLY_TOKEN_BUDGET, 0 = unlimited. */
  @Column('bigint', {
    name: 'monthly_token_budget',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  monthlyTokenBudget: number | null;

  /** Rises by one per change; carried by `accounts.settings-changed.v1` so consumers keep the newest. */
  @Column('integer')
  version: number;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
