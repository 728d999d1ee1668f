import { finishRun } from './harness/template';

export default async function globalTeardown(): Promise<void> {
  await finishRun();
}
