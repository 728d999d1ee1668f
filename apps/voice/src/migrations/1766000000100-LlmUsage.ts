import { llmUsageTablesDown, llmUsageTablesUp } from '@nixflex/common/usage/usage-store';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * voice's LLM token usage (one row per call turn and call summary) and its copy of
 * each account's monthly token budget (`accounts.token-budget-changed.v1`).
 */
export class VoiceLlmUsage1766000000100 implements MigrationInterface {
  name = 'VoiceLlmUsage1766000000100';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of llmUsageTablesUp('voice')) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of llmUsageTablesDown('voice')) await q.query(sql);
  }
}
