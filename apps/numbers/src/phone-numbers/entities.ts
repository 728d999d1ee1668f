import { PhoneNumber } from './phone-number.entity';

/** Entities of the phone-numbers feature, registered with the service's DataSource. */
export const NUMBERS_ENTITIES: (new () => unknown)[] = [PhoneNumber];
