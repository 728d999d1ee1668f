import type { BookingStatus, CalendarSlot } from '@nixflex/common';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, Unique, UpdateDateColumn } from 'typeorm';

/** A booking the agent made, or tried to make (`failed`, with why), on a number's Cal.com calendar. */
@Entity({ name: 'bookings' })
@Unique('bookings_account_idempotency_key', ['accountId', 'idempotencyKey'])
@Index('bookings_account_created_idx', ['accountId', 'createdAt', 'id'])
export class Booking {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'phone_number' })
  phoneNumber: string;

  @Column('text', { name: 'agent_id' })
  agentId: string;

  @Column('text')
  contact: string;

  @Column('text', { name: 'call_id', nullable: true })
  callId: string | null;

  @Column('text', { name: 'message_id', nullable: true })
  messageId: string | null;

  @Column('text', { name: 'idempotency_key' })
  idempotencyKey: string;

  /** `pending` while Cal.com is being asked. */
  @Column('text')
  status: BookingStatus;

  @Column('text', { name: 'calcom_uid', nullable: true })
  calcomUid: string | null;

  @Column('bigint', { name: 'calcom_id', nullable: true })
  calcomId: string | null;

  @Column({ type: 'timestamptz', precision: 3 })
  start: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  end: Date | null;

  @Column('text', { name: 'time_zone' })
  timeZone: string;

  @Column('text', { name: 'attendee_name' })
  attendeeName: string;

  @Column('text', { name: 'attendee_email', nullable: true })
  attendeeEmail: string | null;

  @Column('text', { nullable: true })
  notes: string | null;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage: string | null;

  /** slot_unavailable: the free slots offered instead, so a repeat answers the same. */
  @Column('jsonb', { nullable: true })
  alternatives: CalendarSlot[] | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
