import { Injectable } from '@nestjs/common';
import {
  AppError,
  GetWebhookDeliveryCommand,
  ListWebhookDeliveriesCommand,
  Page,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
} from '@nixflex/common';
import { mapPage } from '@nixflex/common/db/keyset';
import { DeliveriesRepository } from '../delivery/deliveries.repository';
import { toDeliveryDetailDto, toDeliveryDto } from './delivery.mapper';

/** The account's delivery log, newest first. */
@Injectable()
export class DeliveryLogService {
  constructor(private readonly repo: DeliveriesRepository) {}

  async list(cmd: ListWebhookDeliveriesCommand): Promise<Page<WebhookDeliveryDto>> {
    const page = await this.repo.list(cmd.account_id, {
      status: cmd.status,
      cursor: cmd.cursor,
      limit: cmd.limit,
    });
    return mapPage(page, toDeliveryDto);
  }

  async get(cmd: GetWebhookDeliveryCommand): Promise<WebhookDeliveryDetailDto> {
    const d = await this.repo.findForAccount(cmd.account_id, cmd.delivery_id);
    if (!d)
      throw new AppError(
        'webhook_delivery_not_found',
        `No webhook delivery ${cmd.delivery_id} in this account`,
      );
    return toDeliveryDetailDto(d, await this.repo.attemptsOf(d.id));
  }
}
