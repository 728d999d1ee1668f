import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { HealthReply, HealthService, SystemCommands } from '@nixflex/common';

@Controller()
export class HealthHandler {
  constructor(private readonly health: HealthService) {}

  @MessagePattern(SystemCommands.voiceHealth)
  check(): Promise<HealthReply> {
    return this.health.check('voice');
  }
}
