import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * welcome_greeting: what a caller hears first, on an agent (for all its
 * numbers) and on a number (instead of its agent's). Both nullable (null =
 * the default greeting / the agent's), at most 1000 characters like the API.
 */
export class WelcomeGreeting1765100000000 implements MigrationInterface {
  name = 'WelcomeGreeting1765100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['agents', 'phone_numbers']) {
      await q.query(
        `ALTER TABLE "numbers"."${table}" ADD COLUMN "welcome_greeting" text
         CONSTRAINT "${table}_welcome_greeting_length" CHECK (char_length("welcome_greeting") <= 1000)`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "numbers"."phone_numbers" DROP COLUMN "welcome_greeting"`);
    await q.query(`ALTER TABLE "numbers"."agents" DROP COLUMN "welcome_greeting"`);
  }
}
