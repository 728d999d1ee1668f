import { Controller, UseFilters, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CustomerWebhooksCommands,
  GetWebhookDeliveryCommand,
  ListWebhookDeliveriesCommand,
  Page,
  WebhookAccountRef,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  WebhookSecretDto,
  RpcErrorFilter,
  createValidationPipe,
} from '@nixflex/common';
import { DeliveryLogService } from './log/delivery-log.service';
import { SecretsService } from './secrets/secrets.service';

/**
 * Commands behind /v1/webhook-secret and /v1/webhook-deliveries; every one is
 * scoped by account_id.
 *
 * Pipes and filters are declared here as well as globally: in the webhooks
 * process (HTTP app with a connected microservice) the global RPC filter did
 * not reach message handlers, so an AppError crossed as internal_error.
 */
@UsePipes(createValidationPipe())
@UseFilters(new RpcErrorFilter())
@Controller()
export class CustomerWebhooksHandler {
  constructor(
    private readonly secrets: SecretsService,
    private readonly log: DeliveryLogService,
  ) {}

  @MessagePattern(CustomerWebhooksCommands.secretGet)
  getSecret(@Payload() cmd: WebhookAccountRef): Promise<WebhookSecretDto> {
    return this.secrets.get(cmd.account_id);
  }

  @MessagePattern(CustomerWebhooksCommands.secretRotate)
  rotateSecret(@Payload() cmd: WebhookAccountRef): Promise<WebhookSecretDto> {
    return this.secrets.rotate(cmd.account_id);
  }

  @MessagePattern(CustomerWebhooksCommands.deliveriesList)
  list(@Payload() cmd: ListWebhookDeliveriesCommand): Promise<Page<WebhookDeliveryDto>> {
    return this.log.list(cmd);
  }

  @MessagePattern(CustomerWebhooksCommands.deliveriesGet)
  get(@Payload() cmd: GetWebhookDeliveryCommand): Promise<WebhookDeliveryDetailDto> {
    return this.log.get(cmd);
  }
}
