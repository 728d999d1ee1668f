import { Injectable } from '@nestjs/common';
import {
  AppError,
  GetWebhookDeliveryCommand,
  ListWebhookDeliveriesCommand,
  Page,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  encodeCursor,
} from '@nixflex/common';
import { DeliveriesRepository } from '../delivery/deliveries.repository';
import { toDeliveryDetailDto, toDeliveryDto } from './delivery.mapper';

/** The account's delivery log, newest first. */
@Injectable()
export class DeliveryLogService {
  constructor(private readonly repo: DeliveriesRepository) {}

  async list(cmd: ListWebhookDeliveriesCommand): Promise<Page<WebhookDeliveryDto>> {
    const limit = cmd.limit ?? 50;
    const rows = await this.repo.list(cmd.account_id, {
      status: cmd.status,
      cursor: cmd.cursor,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toDeliveryDto),
      next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
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
