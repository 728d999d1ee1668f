import { llmUsageTablesDown, llmUsageTablesUp } from '@nixflex/common/usage/usage-store';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * messaging's LLM token usage (one row per SMS reply) and its copy of
 * each account's monthly token budget (`accounts.token-budget-changed.v1`).
 */
export class MessagingLlmUsage1766000000100 implements MigrationInterface {
  name = 'MessagingLlmUsage1766000000100';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of llmUsageTablesUp('messaging')) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of llmUsageTablesDown('messaging')) await q.query(sql);
  }
}
