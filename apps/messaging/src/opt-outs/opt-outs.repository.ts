import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { OptOut } from './opt-out.entity';

/**
 * Every statement on `messaging.opt_outs`. Writes take the caller's
 * transaction (`EntityManager`): an opt-out is recorded with the message or
 * status change that caused it and the customer event announcing it.
 */
@Injectable()
export class OptOutsRepository {
  constructor(@InjectRepository(OptOut) private readonly repo: Repository<OptOut>) {}

  /** Records the opt-out unless one exists; true when this call created it. */
  async record(m: EntityManager, optOut: OptOut): Promise<boolean> {
    const result = await m
      .createQueryBuilder()
      .insert()
      .into(OptOut)
      .values(optOut)
      .orIgnore()
      .returning(['ourNumber'])
      .execute();
    return result.raw.length > 0;
  }

  /** Removes the opt-out; true when there was one. */
  async remove(m: EntityManager, ourNumber: string, recipient: string): Promise<boolean> {
    const result = await m.delete(OptOut, { ourNumber, recipient });
    return (result.affected ?? 0) > 0;
  }

  /** An account's opt-outs, newest first, optionally for one of its numbers. */
  async list(accountId: string, ourNumber: string | null, limit: number): Promise<OptOut[]> {
    return this.repo.find({
      where: ourNumber ? { accountId, ourNumber } : { accountId },
      order: { optedOutAt: 'DESC', recipient: 'ASC' },
      take: limit,
    });
  }
}
