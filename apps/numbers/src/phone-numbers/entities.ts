/** Entities of the phone-numbers feature, registered with the service's DataSource. */
export const NUMBERS_ENTITIES: (new () => unknown)[] = [];
