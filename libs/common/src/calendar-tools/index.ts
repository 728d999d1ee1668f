/** The agent's calendar tools over the numbers service: `import { calendarTools } from '@nixflex/common/calendar-tools'`. */
export * from './calendar-tools';
