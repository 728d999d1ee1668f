import { Module } from '@nestjs/common';
import { CallsRepository } from './data/calls.repository';
import { CallLifecycle } from './status/call-lifecycle';
import { CallLinksClient } from './wrapup/call-links.client';

import { CallUsage } from './usage/call-usage';
/**
 * What every part of voice shares about a call: its repository and the one
 * place its status moves and it ends (CallLifecycle). The relay, the status
 * callbacks, the dialler and the API's reads import this. CallLinksClient
 * asks other services for a call's texts and bookings (the wrap-up and the
 * call's detail).
 */
@Module({
  providers: [CallsRepository, CallLifecycle, CallLinksClient, CallUsage],
  exports: [CallsRepository, CallLifecycle, CallLinksClient, CallUsage],
})
export class CallsCoreModule {}
