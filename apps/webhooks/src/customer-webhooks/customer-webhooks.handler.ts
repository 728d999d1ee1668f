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
  SealedWebhookSecret,
  SecretBox,
  brokerSecretAad,
  config,
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
  private readonly box = new SecretBox(config().credentialsEncryptionKeys);

  constructor(
    private readonly secrets: SecretsService,
    private readonly log: DeliveryLogService,
  ) {}

  @MessagePattern(CustomerWebhooksCommands.secretGet)
  async getSecret(@Payload() cmd: WebhookAccountRef): Promise<SealedWebhookSecret> {
    return this.sealForBroker(cmd.account_id, await this.secrets.get(cmd.account_id));
  }

  @MessagePattern(CustomerWebhooksCommands.secretRotate)
  async rotateSecret(@Payload() cmd: WebhookAccountRef): Promise<SealedWebhookSecret> {
    return this.sealForBroker(cmd.account_id, await this.secrets.rotate(cmd.account_id));
  }

  /** The reply crosses the broker: the secret goes sealed, the gateway opens it (docs/operations.md "Secrets"). */
  private sealForBroker(accountId: string, dto: WebhookSecretDto): SealedWebhookSecret {
    const { secret, ...rest } = dto;
    return { ...rest, secret_sealed: this.box.encrypt(secret, brokerSecretAad('webhook_secret', accountId)) };
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
