import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  BrokerClient,
  CustomerWebhooksCommands,
  ListWebhookDeliveriesQuery,
  Page,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  WebhookDeliveryPage,
  SealedWebhookSecret,
  SecretBox,
  WebhookSecretDto,
  brokerSecretAad,
  config,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';

/** The account's webhook signing secret: customers need it to verify what we send. */
@ApiTags('customer-webhooks')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/webhook-secret')
export class WebhookSecretController {
  private readonly box = new SecretBox(config().credentialsEncryptionKeys);

  constructor(private readonly broker: BrokerClient) {}

  /** The webhooks service seals the secret for the broker; it is opened only for this HTTP answer. */
  private open(accountId: string, sealed: SealedWebhookSecret): WebhookSecretDto {
    const { secret_sealed, ...rest } = sealed;
    return { ...rest, secret: this.box.decrypt(secret_sealed, brokerSecretAad('webhook_secret', accountId)) };
  }

  @Get()
  @ApiOperation({ summary: 'The secret that signs the webhooks sent to you (Standard Webhooks)' })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiErrors([])
  async get(@CurrentPrincipal() p: Principal): Promise<WebhookSecretDto> {
    return this.open(
      p.accountId,
      await this.broker.request(CustomerWebhooksCommands.secretGet, { account_id: p.accountId }),
    );
  }

  @Post('rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace the signing secret',
    description: 'For 24 hours webhooks are signed with both the new and the previous secret.',
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiErrors([])
  async rotate(@CurrentPrincipal() p: Principal): Promise<WebhookSecretDto> {
    return this.open(
      p.accountId,
      await this.broker.request(CustomerWebhooksCommands.secretRotate, { account_id: p.accountId }),
    );
  }
}

/** What was sent to the account's webhooks, with every attempt. */
@ApiTags('customer-webhooks')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly broker: BrokerClient) {}

  @Get()
  @ApiOperation({ summary: 'Webhooks sent (or being sent) to you, newest first' })
  @ApiOkResponse({ type: WebhookDeliveryPage })
  @ApiErrors(['validation_failed', 'invalid_cursor'])
  list(
    @CurrentPrincipal() p: Principal,
    @Query() q: ListWebhookDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryDto>> {
    return this.broker.request(CustomerWebhooksCommands.deliveriesList, { ...q, account_id: p.accountId });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One delivery with its payload and every attempt' })
  @ApiParam({ name: 'id', description: 'Delivery id' })
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  @ApiErrors(['webhook_delivery_not_found'])
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<WebhookDeliveryDetailDto> {
    return this.broker.request(CustomerWebhooksCommands.deliveriesGet, {
      account_id: p.accountId,
      delivery_id: id,
    });
  }
}
