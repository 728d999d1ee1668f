import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { HealthReply, HealthService, SystemCommands } from '@nixflex/common';
import { RedisHealth } from '@nixflex/common/redis';

@Controller()
export class HealthHandler {
  constructor(
    private readonly health: HealthService,
    private readonly redis: RedisHealth,
  ) {}

  /** Postgres and RabbitMQ, plus Redis (flood limits per caller; without it they are per replica). */
  @MessagePattern(SystemCommands.webhooksHealth)
  async check(): Promise<HealthReply> {
    const [reply, redis] = await Promise.all([this.health.check('webhooks'), this.redis.check()]);
    return { ...reply, redis };
  }
}
