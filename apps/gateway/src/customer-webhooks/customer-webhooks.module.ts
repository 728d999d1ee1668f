import { Module } from '@nestjs/common';
import { WebhookDeliveriesController, WebhookSecretController } from './customer-webhooks.controller';

@Module({ controllers: [WebhookSecretController, WebhookDeliveriesController] })
export class CustomerWebhooksModule {}
