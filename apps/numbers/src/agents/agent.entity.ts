import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'agents' })
@Index('agents_account_created_idx', ['accountId', 'createdAt', 'id'])
export class Agent {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('text')
  name: string;

  @Column('text', { name: 'system_prompt', default: '' })
  systemPrompt: string;

  @Column('text', { nullable: true })
  voice: string | null;

  @Column('text', { name: 'webhook_url', nullable: true })
  webhookUrl: string | null;

  @Column('text', { name: 'post_call_sms_template', nullable: true })
  postCallSmsTemplate: string | null;

  @Column('text', { name: 'llm_model', nullable: true })
  llmModel: string | null;

  /** What callers of its numbers hear first (a number's own greeting wins); null = the default. */
  @Column('text', { name: 'welcome_greeting', nullable: true })
  welcomeGreeting: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
