import { Module } from '@nestjs/common';
import { WebhookDeliveriesController, WebhookSecretController } from './webhook-settings.controller';

@Module({ controllers: [WebhookSecretController, WebhookDeliveriesController] })
export class WebhookSettingsModule {}
