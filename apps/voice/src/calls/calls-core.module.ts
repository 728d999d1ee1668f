import { Module } from '@nestjs/common';
import { CallsRepository } from './data/calls.repository';
import { CallLifecycle } from './status/call-lifecycle';

/**
 * What every part of voice shares about a call: its repository and the one
 * place its status moves and it ends (CallLifecycle). The relay, the status
 * callbacks, the dialler and the API's reads import this.
 */
@Module({
  providers: [CallsRepository, CallLifecycle],
  exports: [CallsRepository, CallLifecycle],
})
export class CallsCoreModule {}
