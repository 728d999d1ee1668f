import { Inject, Injectable } from '@nestjs/common';
import { SecretBox, WebhookSecretDto, config } from '@nixflex/common';
import { EntityManager } from 'typeorm';
import { CUSTOMER_WEBHOOKS_CONFIG, CustomerWebhooksConfig } from '../customer-webhooks.config';
import { WebhookSecret } from '../entities';
import { SecretsRepository } from './secrets.repository';
import { newCustomerWebhookSecret } from './signing';

/**
 * Per-account signing secrets, created on first use (first read through the
 * API or first delivery), stored sealed with the account id as associated
 * data so a sealed secret copied to another account's row does not open.
 */
@Injectable()
export class SecretsService {
  private readonly box = new SecretBox(config().credentialsEncryptionKeys);

  constructor(
    private readonly repo: SecretsRepository,
    @Inject(CUSTOMER_WEBHOOKS_CONFIG) private readonly cfg: CustomerWebhooksConfig,
  ) {}

  private async ensure(accountId: string, m?: EntityManager): Promise<WebhookSecret> {
    const existing = await this.repo.find(accountId, m);
    if (existing) return existing;
    await this.repo.insertIfAbsent(accountId, this.seal(accountId, newCustomerWebhookSecret()), m);
    const created = await this.repo.find(accountId, m);
    if (!created) throw new Error(`webhook secret for ${accountId} vanished after insert`);
    return created;
  }

  async get(accountId: string): Promise<WebhookSecretDto> {
    return this.toDto(await this.ensure(accountId));
  }

  /** A new secret; the previous one keeps signing (second signature) for the grace period. */
  async rotate(accountId: string): Promise<WebhookSecretDto> {
    const rotated = await this.repo.transaction(async (m) => {
      await this.ensure(accountId, m);
      const row = await this.repo.findForUpdate(accountId, m);
      if (!row) throw new Error(`webhook secret for ${accountId} vanished`);
      const now = new Date();
      row.previousSecretSealed = row.secretSealed;
      row.previousExpiresAt = new Date(now.getTime() + this.cfg.secretGraceMs);
      row.secretSealed = this.seal(accountId, newCustomerWebhookSecret());
      row.createdAt = now;
      return this.repo.save(row, m);
    });
    return this.toDto(rotated);
  }

  /** Secrets to sign with now: the current one first, then the previous one while in grace. */
  async signingSecrets(accountId: string): Promise<string[]> {
    const row = await this.ensure(accountId);
    const secrets = [this.open(accountId, row.secretSealed)];
    if (row.previousSecretSealed && row.previousExpiresAt && row.previousExpiresAt.getTime() > Date.now()) {
      secrets.push(this.open(accountId, row.previousSecretSealed));
    }
    return secrets;
  }

  private toDto(row: WebhookSecret): WebhookSecretDto {
    const inGrace = row.previousExpiresAt && row.previousExpiresAt.getTime() > Date.now();
    return {
      secret: this.open(row.accountId, row.secretSealed),
      created_at: row.createdAt.toISOString(),
      previous_secret_expires_at:
        inGrace && row.previousExpiresAt ? row.previousExpiresAt.toISOString() : null,
    };
  }

  private seal(accountId: string, secret: string): string {
    return this.box.encrypt(secret, `customer-webhook-secret:${accountId}`);
  }

  private open(accountId: string, sealed: string): string {
    return this.box.decrypt(sealed, `customer-webhook-secret:${accountId}`);
  }
}
