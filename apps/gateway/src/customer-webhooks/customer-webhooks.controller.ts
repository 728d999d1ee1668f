import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  BrokerClient,
  CustomerWebhooksCommands,
  ListWebhookDeliveriesQuery,
  Page,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  WebhookSecretDto,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';

/** The account's webhook signing secret: customers need it to verify what we send. */
@Controller('v1/webhook-secret')
export class WebhookSecretController {
  constructor(private readonly broker: BrokerClient) {}

  @Get()
  get(@CurrentPrincipal() p: Principal): Promise<WebhookSecretDto> {
    return this.broker.request(CustomerWebhooksCommands.secretGet, { account_id: p.accountId });
  }

  @Post('rotate')
  @HttpCode(200)
  rotate(@CurrentPrincipal() p: Principal): Promise<WebhookSecretDto> {
    return this.broker.request(CustomerWebhooksCommands.secretRotate, { account_id: p.accountId });
  }
}

/** What was sent to the account's webhooks, with every attempt. */
@Controller('v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly broker: BrokerClient) {}

  @Get()
  list(
    @CurrentPrincipal() p: Principal,
    @Query() q: ListWebhookDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryDto>> {
    return this.broker.request(CustomerWebhooksCommands.deliveriesList, { ...q, account_id: p.accountId });
  }

  @Get(':id')
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<WebhookDeliveryDetailDto> {
    return this.broker.request(CustomerWebhooksCommands.deliveriesGet, {
      account_id: p.accountId,
      delivery_id: id,
    });
  }
}
