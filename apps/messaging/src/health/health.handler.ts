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

  /** Postgres and RabbitMQ, plus Redis (SMS pacing; without it pacing is per replica). */
  @MessagePattern(SystemCommands.messagingHealth)
  async check(): Promise<HealthReply> {
    const [reply, redis] = await Promise.all([this.health.check('messaging'), this.redis.check()]);
    return { ...reply, redis };
  }
}
